using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace PartnerBase.Functions.Tests.Api;

/// <summary>
/// Holds every JSON response the API tests receive to the app's own OpenAPI document: the operation (path and
/// method) must document the status, and the body must match that status's schema (JSON Schema 2020-12, as OpenAPI
/// 3.1 defines it, evaluated by JsonSchema.Net). A response the document does not describe fails the test.
/// </summary>
public sealed partial class ResponseSchemaValidator : DelegatingHandler
{
    private readonly JsonObject _document;
    private readonly List<(Regex Pattern, string Template)> _paths;
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new(StringComparer.Ordinal);

    public ResponseSchemaValidator(string openApiJson)
        : base(new SocketsHttpHandler { UseCookies = false })
    {
        _document = JsonNode.Parse(openApiJson)!.AsObject();
        // Literal segments before parameters, as the host routes.
        _paths = _document["paths"]!.AsObject()
            .Select(path => (Pattern: new Regex("^" + Parameter().Replace(Regex.Escape(path.Key).Replace(@"\{", "{", StringComparison.Ordinal), "[^/]+") + "$", RegexOptions.CultureInvariant), Template: path.Key))
            .OrderBy(path => path.Template.Count(c => c == '{'))
            .ToList();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        var path = request.RequestUri!.AbsolutePath;
        var template = _paths.FirstOrDefault(p => p.Pattern.IsMatch(path)).Template;
        var operation = template is null ? null : _document["paths"]![template]![request.Method.Method.ToLowerInvariant()];
        if (operation is null || mediaType is not ("application/json" or "application/problem+json"))
        {
            // Not an operation of the API (the host's own 404 for a route or method no function serves), or not JSON.
            return response;
        }

        var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var described = operation["responses"]?[status]?["content"]?.AsObject();
        var schemaNode = described?[mediaType]?["schema"] ?? described?.FirstOrDefault().Value?["schema"];
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (schemaNode is null)
        {
            throw new Xunit.Sdk.XunitException(
                $"{request.Method} {template} answered {status} {mediaType}, which the OpenAPI document does not describe: {body}");
        }

        var schema = _schemas.GetOrAdd(schemaNode.ToJsonString(), Build);
        using var json = JsonDocument.Parse(body);
        var result = schema.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!result.IsValid)
        {
            var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}"));
            throw new Xunit.Sdk.XunitException(
                $"{request.Method} {template} {status}: the body does not match the OpenAPI document's schema:\n{string.Join("\n", errors)}\n{body}");
        }

        return response;
    }

    /// <summary>The response schema with the document's component schemas beside it, as one JSON Schema.</summary>
    private JsonSchema Build(string schema)
    {
        var components = _document["components"]?["schemas"]?.ToJsonString() ?? "{}";
        var text = $$"""{ "$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": {{components}}, "allOf": [ {{schema}} ] }"""
            .Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
        return JsonSchema.FromText(text, new BuildOptions { SchemaRegistry = new SchemaRegistry() }, new Uri($"urn:partnerbase:openapi:{Guid.NewGuid():N}"));
    }

    [GeneratedRegex(@"\{[^/]+?\}")]
    private static partial Regex Parameter();
}
