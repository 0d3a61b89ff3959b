using System.Net;
using PartnerBase.FunctionsLocal;
using static PartnerBase.Functions.Tests.Hosting.FunctionAppFiles;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// The publish folder is what gets deployed (CONTRACT §7): host.json, functions.metadata, worker.config.json and
/// .azurefunctions/ beside the worker, which must start under a Functions host and answer.
/// </summary>
public sealed class PublishTests(PublishTests.PublishedApp published) : IClassFixture<PublishTests.PublishedApp>
{
    [Fact]
    public void Publish_Layout_IsADeployableIsolatedWorkerApp()
    {
        var root = published.Folder;

        Assert.All(new[] { "host.json", "functions.metadata", "worker.config.json", "PartnerBase.Functions.dll" },
            file => Assert.True(File.Exists(Path.Combine(root, file)), $"{file} is not in the publish folder"));
        Assert.True(Directory.Exists(Path.Combine(root, ".azurefunctions")), ".azurefunctions/ is not in the publish folder");
        Assert.Equal(File.ReadAllText(HostJsonPath), File.ReadAllText(Path.Combine(root, "host.json")));
        var worker = Read(Path.Combine(root, "worker.config.json")).GetProperty("description");
        Assert.Equal("dotnet-isolated", worker.GetProperty("language").GetString());
        Assert.Equal("PartnerBase.Functions.dll", worker.GetProperty("defaultWorkerPath").GetString());
        AssertIsTheContractsFunctions(Read(Path.Combine(root, "functions.metadata")));

        // The local Functions host is a development tool: never in what is deployed.
        Assert.Empty(Directory.GetFiles(root, "PartnerBase.FunctionsLocal*", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(root, "local.settings.json")));
    }

    [Fact]
    public void Publish_Layout_HoldsNothingOfTheConsole()
    {
        var root = published.Folder;

        // The console is a Static Web App of its own (CONTRACT §9): the Function App builds it for dotnet run and
        // never deploys it.
        Assert.Empty(Directory.GetFiles(root, "PartnerBase.Console*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetDirectories(root, "_framework", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetDirectories(root, "wwwroot", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(root, "index.html", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(root, "staticwebapp.config.json", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(root, "*.staticwebassets.*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task PublishedWorker_UnderTheLocalFunctionsHost_Answers()
    {
        var options = new LocalHostOptions
        {
            AppDirectory = published.Folder,
            Urls = ["http://127.0.0.1:0"],
            Settings = new Dictionary<string, string> { ["CommissionRunSchedule"] = "0 0 2 1 * *", ["EventRelaySchedule"] = FunctionApp.EverySecond, ["PaymentsSchedule"] = FunctionApp.EverySecond, ["NotificationsSchedule"] = FunctionApp.EverySecond, ["WebhooksSchedule"] = FunctionApp.EverySecond, ["StatementsSchedule"] = "0 0 4 1 * *", ["ReconciliationSchedule"] = "0 30 3 * * *", ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development" },
            RunTimersOnSchedule = false,
        };
        await using var host = await LocalFunctionsHost.StartAsync(options, new ProcessWorkerLauncher(), cancellationToken: TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = host.Addresses[0] };

        var health = await client.GetAsync("/api/health", TestContext.Current.CancellationToken);
        var unknown = await client.GetAsync("/api/nothing-here", TestContext.Current.CancellationToken);
        var payouts = await client.GetAsync("/api/payouts", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("{\"status\":\"ok\"}", await health.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, payouts.StatusCode);
        Assert.Equal("application/problem+json", payouts.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpFunctions.Count + TimerFunctions.Count, host.Functions.Count);
    }

    /// <summary>`dotnet publish src/Functions -c Release`, once for the class.</summary>
    public sealed class PublishedApp() : PublishedProject(Path.Combine("src", "Functions", "PartnerBase.Functions.csproj"), "host.json", TimeSpan.FromMinutes(10));
}
