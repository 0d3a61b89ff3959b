using PartnerBase.FunctionsLocal;
using static PartnerBase.Functions.Tests.Hosting.FunctionAppFiles;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// A misconfigured serverless instance must fail at start, not on its first request: the worker, started as its own
/// process under the local Functions host, stops and says which setting is missing.
/// </summary>
public sealed class StartupValidationTests
{
    [Fact]
    public async Task Start_CosmosWithoutEndpoint_FailsNamingTheSetting()
    {
        var error = await StartFailureAsync(new() { ["Storage__Provider"] = "cosmos" });

        Assert.Contains("CosmosOptions", error, StringComparison.Ordinal);
        Assert.Contains("Endpoint", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_InProductionWithoutTokenAuthority_Fails()
    {
        var error = await StartFailureAsync(new() { ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Production", ["Events__Transport"] = "memory" });

        Assert.Contains("Authority", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_InProductionWithoutStorage_FailsNamingTheSetting()
    {
        var error = await StartFailureAsync(new()
        {
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Production",
            ["Events__Transport"] = "memory",
            ["Authentication__Schemes__Bearer__Authority"] = "https://login.example/tenant/v2.0",
        });

        Assert.Contains("AzureWebJobsStorage", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ServiceBusTransportWithoutNamespace_FailsNamingTheSetting()
    {
        var error = await StartFailureAsync(new() { ["Events__Transport"] = "servicebus" });

        Assert.Contains("ServiceBus:FullyQualifiedNamespace", error, StringComparison.Ordinal);
    }

    private static async Task<string> StartFailureAsync(Dictionary<string, string> settings)
    {
        settings.TryAdd("AZURE_FUNCTIONS_ENVIRONMENT", "Development");
        settings["CommissionRunSchedule"] = "0 0 2 1 * *";
        settings["EventRelaySchedule"] = FunctionApp.EverySecond;
        settings["PaymentsSchedule"] = FunctionApp.EverySecond;
        settings["NotificationsSchedule"] = FunctionApp.EverySecond;
        settings["WebhooksSchedule"] = FunctionApp.EverySecond;
        settings["StatementsSchedule"] = "0 0 4 1 * *";
        settings["ReconciliationSchedule"] = "0 30 3 * * *";
        var options = new LocalHostOptions { AppDirectory = BuildOutput(), Urls = ["http://127.0.0.1:0"], Settings = settings };

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
            await (await LocalFunctionsHost.StartAsync(options, new ProcessWorkerLauncher(), cancellationToken: TestContext.Current.CancellationToken)).DisposeAsync());
        return error.ToString();
    }
}
