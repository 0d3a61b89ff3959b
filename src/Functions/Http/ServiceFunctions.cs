using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace PartnerBase.Functions.Http;

public sealed record HealthResponse(string Status);

/// <summary>The anonymous functions: health and the OpenAPI document.</summary>
public sealed class ServiceFunctions(OpenApiDocument openApi)
{
    [Function(nameof(GetHealth))]
    [AllowAnonymous]
    [Tags("Service")]
    [EndpointSummary("Health check")]
    public static Ok<HealthResponse> GetHealth(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) => TypedResults.Ok(new HealthResponse("ok"));

    [Function(nameof(GetOpenApiDocument))]
    [AllowAnonymous]
    [Tags("Service")]
    [EndpointSummary("This API's OpenAPI 3.1 document")]
    [ProducesResponseType(typeof(JsonElement), StatusCodes.Status200OK, "application/json")]
    public async Task<ContentHttpResult> GetOpenApiDocument(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi/v1.json")] HttpRequest request) =>
        TypedResults.Text(await openApi.GetJsonAsync(), "application/json");
}
