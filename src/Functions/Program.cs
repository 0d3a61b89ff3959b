using PartnerBase.Functions;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Organizations;
using PartnerBase.Functions.Partners;
using PartnerBase.Functions.Payouts;

var builder = WebApplication.CreateBuilder(args);
builder.AddPartnerBaseApi();

var app = builder.Build();
app.UsePartnerBaseApi();
app.MapOpenApi(OpenApiDocument.Route).AllowAnonymous();
app.MapGet("/api/health", () => TypedResults.Ok(new HealthResponse("ok"))).WithName("GetHealth").WithTags("Health").AllowAnonymous();
app.MapPayoutsApi();
app.MapPartnersApi();
app.MapOrganizationApi();
app.Run();

namespace PartnerBase.Functions
{
    public sealed record HealthResponse(string Status);

    public partial class Program;
}
