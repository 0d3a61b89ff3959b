using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PartnerBase.FunctionsLocal;

namespace PartnerBase.Functions.Tests.Api;

public sealed partial class OpenApiTests(ApiFactory factory)
{
    [Fact]
    public async Task Document_DescribesExactlyTheHttpFunctions_WithOperationIdSummaryAndResponses()
    {
        var document = JsonNode.Parse(await factory.CreateClient().GetStringAsync("/api/openapi/v1.json", TestContext.Current.CancellationToken))!;
        var paths = document["paths"]!.AsObject();
        // The functions as the worker itself reported them to the Functions host (its function metadata).
        var functions = factory.Functions.Where(f => f.Kind == FunctionKind.Http).ToList();
        var operations = paths.SelectMany(path => path.Value!.AsObject().Select(op => (Path: path.Key, Method: op.Key, Operation: op.Value!))).ToList();

        Assert.StartsWith("3.", document["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(40, functions.Count);
        Assert.Equal(functions.Count, operations.Count);
        foreach (var function in functions)
        {
            var path = "/" + function.Route;
            var method = Assert.Single(function.Methods).ToLowerInvariant();
            var operation = paths[path]?[method];
            Assert.True(operation is not null, $"{function.Name}: {method.ToUpperInvariant()} {path} is missing from the OpenAPI document");
            Assert.Equal(function.Name, operation["operationId"]?.GetValue<string>());
            Assert.False(string.IsNullOrWhiteSpace(operation["summary"]?.GetValue<string>()), $"{function.Name} has no summary");
            Assert.True(operation["responses"]!.AsObject().Any(r => r.Key.StartsWith('2')), $"{function.Name} documents no success response");
            foreach (var parameter in RouteParameters().Matches(function.Route!).Select(m => m.Groups[1].Value))
            {
                Assert.Contains(operation["parameters"]!.AsArray(), p => p!["in"]!.GetValue<string>() == "path" && p["name"]!.GetValue<string>() == parameter);
            }
        }

        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
        var status = document["components"]!["schemas"]!["PayoutStatus"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>());
        Assert.Contains("pending_approval", status);
    }

    [Fact]
    public async Task Document_DescribesWhatGeneratedClientsRelyOn()
    {
        var document = JsonNode.Parse(await factory.CreateClient().GetStringAsync("/api/openapi/v1.json", TestContext.Current.CancellationToken))!;
        var schemas = document["components"]!["schemas"]!;

        // Only what the contract requires is required in a request, and a required field is never null.
        Assert.Equal(["partnerId", "amount", "currency", "period"], Required(schemas["CreatePayoutRequest"]));
        Assert.Equal("string", schemas["CreatePayoutRequest"]!["properties"]!["partnerId"]!["type"]!.GetValue<string>());
        Assert.Empty(Required(schemas["UpdatePayoutRequest"]));
        Assert.Equal(["name", "email", "commissionRateBps"], Required(schemas["CreatePartnerRequest"]));
        Assert.Equal(["period"], Required(schemas["CommissionRunRequest"]));
        Assert.Empty(Required(schemas["RejectPayoutRequest"]));
        Assert.Equal("#/components/schemas/AttributionStatus", schemas["AttributionRequest"]!["properties"]!["status"]!["$ref"]?.GetValue<string>());

        // A response field left out when null is not required; an enum never lists null.
        Assert.DoesNotContain("payoutId", Required(schemas["CommissionRunPayout"]));
        Assert.DoesNotContain("reason", Required(schemas["PayoutEventData"]));
        Assert.Contains("notes", Required(schemas["PayoutResponse"]));
        Assert.Equal(["won", "reversed"], schemas["AttributionStatus"]!["enum"]!.AsArray().Select(n => n?.GetValue<string>()));

        // CONTRACT §8: the finance controls, always present in responses, all optional in the settings' merge patch.
        Assert.Contains("approvals", Required(schemas["PayoutResponse"]));
        Assert.Equal(["by", "at"], Required(schemas["ApprovalResponse"]));
        Assert.Contains("approvalRecorded", Required(schemas["BulkApproveResponse"]));
        Assert.Contains("held", Required(schemas["CommissionRunResponse"]));
        Assert.Equal(["partnerId", "currency", "amount", "attributionCount", "payableFrom"], Required(schemas["HeldResponse"]));
        Assert.Superset(new HashSet<string> { "approvalPolicy", "holdDays", "requireVerifiedTaxForm" }, Required(schemas["OrganizationResponse"]).ToHashSet());
        Assert.Empty(Required(schemas["UpdateOrganizationRequest"]));
        Assert.Empty(Required(schemas["UpdateApprovalPolicyRequest"]));
        var holdDays = schemas["UpdateOrganizationRequest"]!["properties"]!["holdDays"]!;
        Assert.Equal((0, 365), (holdDays["minimum"]!.GetValue<int>(), holdDays["maximum"]!.GetValue<int>()));

        // A merge-patch field that may be left out but not cleared does not offer null; one that may be cleared does.
        Assert.Equal("integer", holdDays["type"]!.GetValue<string>());
        Assert.Equal("boolean", schemas["UpdateOrganizationRequest"]!["properties"]!["automaticPayments"]!["type"]!.GetValue<string>());
        Assert.Equal("integer", schemas["UpdatePayoutRequest"]!["properties"]!["amount"]!["type"]!.GetValue<string>());
        Assert.Contains("null", schemas["UpdatePayoutRequest"]!["properties"]!["notes"]!["type"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("#/components/schemas/TaxFormStatus", schemas["UpdatePartnerRequest"]!["properties"]!["taxFormStatus"]!["$ref"]!.GetValue<string>());

        // CONTRACT §1: problem code and errors, the headers, and the page size.
        Assert.NotNull(schemas["ProblemDetails"]!["properties"]!["code"]);
        Assert.NotNull(schemas["ProblemDetails"]!["properties"]!["errors"]);
        var paths = document["paths"]!;
        Assert.All(new[] { paths["/api/payouts"]!["post"], paths["/api/payouts/bulk-approve"]!["post"], paths["/api/commission-runs"]!["post"] }, operation =>
            Assert.Single(operation!["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "Idempotency-Key" && p["in"]!.GetValue<string>() == "header"));
        Assert.Contains(paths["/api/payouts/{id}/approve"]!["post"]!["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "If-Match");
        Assert.NotNull(paths["/api/payouts"]!["post"]!["responses"]!["201"]!["headers"]!["Location"]);
        Assert.NotNull(paths["/api/payouts/{id}"]!["get"]!["responses"]!["200"]!["headers"]!["ETag"]);
        var limit = paths["/api/payouts"]!["get"]!["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "limit")!["schema"]!;
        Assert.Equal("integer", limit["type"]!.GetValue<string>());
        Assert.Equal(100, limit["maximum"]!.GetValue<int>());
    }

    [Fact]
    public async Task Document_PassesRedoclysRecommendedRuleset()
    {
        var ct = TestContext.Current.CancellationToken;
        var document = Path.Combine(Path.GetTempPath(), $"partnerbase-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(document, await factory.CreateClient().GetStringAsync("/api/openapi/v1.json", ct), ct);
        try
        {
            // Redocly CLI (npm, tools/openapi-lint), with that folder's redocly.yaml: extends recommended.
            var tool = await LocalServers.LocalNodeServer.InstallAsync("openapi-lint");
            var start = new ProcessStartInfo("node") { WorkingDirectory = tool, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { Path.Combine("node_modules", "@redocly", "cli", "bin", "cli.js"), "lint", document, "--format=stylish" })
            {
                start.ArgumentList.Add(argument);
            }

            using var lint = Process.Start(start) ?? throw new InvalidOperationException("Could not start node: is Node.js on the PATH?");
            var output = lint.StandardOutput.ReadToEndAsync(ct);
            var errors = lint.StandardError.ReadToEndAsync(ct);
            await lint.WaitForExitAsync(ct);

            Assert.True(lint.ExitCode == 0, $"Redocly lint (recommended) found errors:\n{await output}\n{await errors}");
        }
        finally
        {
            File.Delete(document);
        }
    }

    private static string[] Required(JsonNode? schema) =>
        schema?["required"]?.AsArray().Select(n => n!.GetValue<string>()).ToArray() ?? [];

    [GeneratedRegex(@"\{([A-Za-z]+)\}")]
    private static partial Regex RouteParameters();
}
