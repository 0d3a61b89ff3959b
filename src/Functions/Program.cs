using PartnerBase.Functions.Commissions;
using PartnerBase.Functions.Hosting;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Organizations;
using PartnerBase.Functions.Partners;
using PartnerBase.Functions.Payouts;

namespace PartnerBase.Functions;

public sealed record HealthResponse(string Status);

// Not static: WebApplicationFactory<Program> needs it as a type argument.
public sealed class Program
{
    private Program()
    {
    }

    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.UseFunctionsHostPort();
        builder.AddPartnerBaseApi();

        var app = builder.Build();
        app.UsePartnerBaseApi();
        app.MapOpenApi(OpenApiDocument.Route).AllowAnonymous();
        // The Functions host's readiness probe: any response means the handler is up.
        app.MapGet("/", () => TypedResults.Ok(new HealthResponse("ok"))).ExcludeFromDescription().AllowAnonymous();
        if (app.Configuration.GetValue<bool>("Benchmarks:BareEndpoint"))
        {
            // The load benchmark's yardstick: what this pipeline costs for a request that does nothing.
            app.MapGet("/bench/bare", () => TypedResults.Ok(new HealthResponse("ok"))).ExcludeFromDescription().AllowAnonymous();
        }

        app.MapGet("/api/health", () => TypedResults.Ok(new HealthResponse("ok"))).WithName("GetHealth").WithTags("Health").AllowAnonymous();
        app.MapPayoutsApi();
        app.MapPartnersApi();
        app.MapOrganizationApi();
        app.MapCommissionsApi();
        if (FunctionsHost.Port(app.Configuration) is not null)
        {
            app.MapFunctionsTriggers();
        }

        app.Run();
    }
}
