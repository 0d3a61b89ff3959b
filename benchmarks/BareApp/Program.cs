using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

namespace BareApp;

/// <summary>An isolated-worker Function App of the API's shape (ASP.NET Core integration) with nothing in it but GetHealth.</summary>
public static class Program
{
    public static void Main(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        builder.Build().Run();
    }
}

public sealed record HealthResponse(string Status);

public sealed class HealthFunctions
{
    [Function(nameof(GetHealth))]
    public static Ok<HealthResponse> GetHealth(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) => TypedResults.Ok(new HealthResponse("ok"));
}
