using System.Reflection;
using System.Text.Json;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>The Function App's files (CONTRACT §7) and the functions it must have.</summary>
internal static class FunctionAppFiles
{
    /// <summary>CONTRACT §7's HTTP functions: name → method and route (without the api prefix).</summary>
    public static readonly IReadOnlyDictionary<string, (string Method, string Route)> HttpFunctions = new Dictionary<string, (string, string)>
    {
        ["GetHealth"] = ("GET", "health"),
        ["GetOpenApiDocument"] = ("GET", "openapi/v1.json"),
        ["CreatePayout"] = ("POST", "payouts"),
        ["ListPayouts"] = ("GET", "payouts"),
        ["GetPayout"] = ("GET", "payouts/{id}"),
        ["UpdatePayout"] = ("PATCH", "payouts/{id}"),
        ["DeletePayout"] = ("DELETE", "payouts/{id}"),
        ["ApprovePayout"] = ("POST", "payouts/{id}/approve"),
        ["RejectPayout"] = ("POST", "payouts/{id}/reject"),
        ["MarkPayoutProcessing"] = ("POST", "payouts/{id}/mark-processing"),
        ["MarkPayoutPaid"] = ("POST", "payouts/{id}/mark-paid"),
        ["MarkPayoutFailed"] = ("POST", "payouts/{id}/mark-failed"),
        ["GetPayoutStats"] = ("GET", "payouts/stats"),
        ["ExportPayouts"] = ("GET", "payouts/export"),
        ["BulkApprovePayouts"] = ("POST", "payouts/bulk-approve"),
        ["GetPartnerPayoutSummary"] = ("GET", "partners/{partnerId}/payout-summary"),
        ["ListAuditLog"] = ("GET", "audit-log"),
        ["GetOrganization"] = ("GET", "organization"),
        ["UpdateOrganization"] = ("PATCH", "organization"),
        ["CreatePartner"] = ("POST", "partners"),
        ["ListPartners"] = ("GET", "partners"),
        ["GetPartner"] = ("GET", "partners/{id}"),
        ["UpdatePartner"] = ("PATCH", "partners/{id}"),
        ["ImportAttributions"] = ("POST", "attributions"),
        ["RunCommissions"] = ("POST", "commission-runs"),
        ["CreateStatements"] = ("POST", "statements"),
        ["ListPartnerStatements"] = ("GET", "partners/{partnerId}/statements"),
        ["GetPartnerStatement"] = ("GET", "partners/{partnerId}/statements/{period}"),
        ["CreateReconciliationRun"] = ("POST", "reconciliation-runs"),
        ["ListReconciliationRuns"] = ("GET", "reconciliation-runs"),
        ["GetReconciliationRun"] = ("GET", "reconciliation-runs/{id}"),
        ["CreateWebhookEndpoint"] = ("POST", "webhook-endpoints"),
        ["ListWebhookEndpoints"] = ("GET", "webhook-endpoints"),
        ["GetWebhookEndpoint"] = ("GET", "webhook-endpoints/{id}"),
        ["UpdateWebhookEndpoint"] = ("PATCH", "webhook-endpoints/{id}"),
        ["DeleteWebhookEndpoint"] = ("DELETE", "webhook-endpoints/{id}"),
        ["RotateWebhookEndpointSecret"] = ("POST", "webhook-endpoints/{id}/rotate-secret"),
        ["TestWebhookEndpoint"] = ("POST", "webhook-endpoints/{id}/test"),
        ["ListWebhookDeliveries"] = ("GET", "webhook-endpoints/{id}/deliveries"),
        ["RetryWebhookDelivery"] = ("POST", "webhook-endpoints/{id}/deliveries/{deliveryId}/retry"),
    };

    /// <summary>CONTRACT §7's timer functions: name → schedule as the app declares it (an app setting).</summary>
    public static readonly IReadOnlyDictionary<string, string> TimerFunctions = new Dictionary<string, string>
    {
        ["CommissionRun"] = "%CommissionRunSchedule%",
        ["PublishPayoutEvents"] = "%EventRelaySchedule%",
        ["ProcessPayments"] = "%PaymentsSchedule%",
        ["SendNotifications"] = "%NotificationsSchedule%",
        ["DeliverWebhooks"] = "%WebhooksSchedule%",
        ["GenerateStatements"] = "%StatementsSchedule%",
        ["ReconcilePayments"] = "%ReconciliationSchedule%",
    };

    private static readonly Lazy<string> Root = new(FindRepoRoot);

    public static string RepoRoot => Root.Value;

    public static string HostJsonPath => Path.Combine(RepoRoot, "host.json");

    public static string LocalSettingsSamplePath => Path.Combine(RepoRoot, "local.settings.sample.json");

    public static JsonElement Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    public static JsonElement HostJson() => Read(HostJsonPath);

    /// <summary>The "Values" of local.settings.sample.json (Core Tools format).</summary>
    public static IReadOnlyDictionary<string, string> LocalSettingsSample() =>
        Read(LocalSettingsSamplePath).GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);

    /// <summary>The function's trigger: its one binding whose type ends in "Trigger".</summary>
    public static JsonElement Trigger(JsonElement function) =>
        Assert.Single(function.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    /// <summary>functions.metadata: exactly CONTRACT §7's functions, HTTP ones anonymous with their method and route.</summary>
    public static void AssertIsTheContractsFunctions(JsonElement metadata)
    {
        var functions = metadata.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => Trigger(f), StringComparer.Ordinal);

        Assert.Equal(HttpFunctions.Keys.Concat(TimerFunctions.Keys).Order(StringComparer.Ordinal), functions.Keys.Order(StringComparer.Ordinal));
        Assert.All(HttpFunctions, expected =>
        {
            var trigger = functions[expected.Key];
            Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
            Assert.Equal("anonymous", trigger.GetProperty("authLevel").GetString(), ignoreCase: true);
            Assert.Equal([expected.Value.Method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant()));
            Assert.Equal(expected.Value.Route, trigger.GetProperty("route").GetString());
        });
        Assert.All(TimerFunctions, expected =>
        {
            Assert.Equal("timerTrigger", functions[expected.Key].GetProperty("type").GetString());
            Assert.Equal(expected.Value, functions[expected.Key].GetProperty("schedule").GetString());
        });
    }

    /// <summary>src/Functions/bin/&lt;this test build's configuration&gt;/net10.0, where dotnet build puts the worker.</summary>
    public static string BuildOutput()
    {
        var configuration = typeof(FunctionAppFiles).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var folder = Path.Combine(RepoRoot, "src", "Functions", "bin", configuration, "net10.0");
        Assert.True(File.Exists(Path.Combine(folder, "worker.config.json")), $"{folder} has no worker.config.json: build src/Functions first");
        return folder;
    }

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PartnerBase.Functions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No PartnerBase.Functions.sln above {AppContext.BaseDirectory}");
    }
}
