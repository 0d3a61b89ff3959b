using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace PartnerBase.Functions.Tests.Api;

public sealed class OpenApiTests(ApiFactory factory)
{
    [Fact]
    public async Task Document_ListsEveryApiRouteWithItsResponses()
    {
        var document = JsonNode.Parse(await factory.CreateClient().GetStringAsync("/api/openapi/v1.json", TestContext.Current.CancellationToken))!;
        var paths = document["paths"]!.AsObject();
        var routes = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal) && !e.RoutePattern.RawText.StartsWith("/api/openapi", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Path: e.RoutePattern.RawText!.TrimEnd('/'), Method: m.ToLowerInvariant())))
            .ToList();

        Assert.StartsWith("3.", document["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(routes.Count >= 22, $"only {routes.Count} routes found");
        foreach (var (path, method) in routes)
        {
            var operation = paths[path]?[method];
            Assert.True(operation is not null, $"{method.ToUpperInvariant()} {path} is missing from the OpenAPI document");
            Assert.False(string.IsNullOrEmpty(operation["operationId"]?.GetValue<string>()), $"{method} {path} has no operationId");
            Assert.True(operation["responses"]!.AsObject().Any(r => r.Key.StartsWith('2')), $"{method} {path} documents no success response");
        }

        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
        var status = document["components"]!["schemas"]!["PayoutStatus"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>());
        Assert.Contains("pending_approval", status);
    }
}
