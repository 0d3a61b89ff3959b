#if BENCHMARK_FUNCTIONS
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;

namespace PartnerBase.Functions.Http;

/// <summary>
/// The load benchmark's yardstick: an anonymous function that does no work, so that what the worker, its middleware
/// and the Functions host cost per request is measured in the same run as the API's functions. Compiled only into the
/// benchmarks' build (-p:BenchmarkFunctions=true), never into the app that is published.
/// </summary>
public sealed class BenchmarkFunctions
{
    [Function(nameof(GetBare))]
    [AllowAnonymous]
    [ExcludeFromDescription]
    public static Ok<HealthResponse> GetBare(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "bench/bare")] HttpRequest request) => TypedResults.Ok(new HealthResponse("ok"));
}
#endif
