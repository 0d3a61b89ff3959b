using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json.Nodes;
using PartnerBase.Functions.Tests.Api;
using PartnerBase.FunctionsLocal;
using static PartnerBase.Functions.Tests.Hosting.FunctionAppFiles;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// The local Functions host (tools/functions-local) with the real worker: the handshake that indexes the worker's
/// functions, routing as the Functions host routes, timers, and a worker that dies at start. Its own app, so that the
/// monthly run touches no other test's organizations.
/// </summary>
public sealed class LocalFunctionsHostTests(LocalFunctionsHostTests.App app) : IClassFixture<LocalFunctionsHostTests.App>
{
    [Fact]
    public void Handshake_IndexesEveryFunctionTheWorkerReports_WithRoutesAndResolvedSchedules()
    {
        var functions = app.Host.Functions.ToDictionary(f => f.Name);

        Assert.Equal(HttpFunctions.Keys.Concat(TimerFunctions.Keys).Order(StringComparer.Ordinal), functions.Keys.Order(StringComparer.Ordinal));
        Assert.All(HttpFunctions, expected =>
        {
            Assert.Equal(FunctionKind.Http, functions[expected.Key].Kind);
            Assert.Equal([expected.Value.Method], functions[expected.Key].Methods);
            Assert.Equal("api/" + expected.Value.Route, functions[expected.Key].Route);
        });
        Assert.All(TimerFunctions.Keys, name => Assert.Equal(FunctionKind.Timer, functions[name].Kind));
        Assert.Equal("0 0 2 1 * *", functions["CommissionRun"].Schedule);
        Assert.Equal(FunctionApp.EverySecond, functions["PublishPayoutEvents"].Schedule);
    }

    [Theory]
    [InlineData("/api/payouts/stats", "currencies")]
    [InlineData("/api/payouts/export", null)]
    public async Task Routing_LiteralSegment_WinsOverAParameter(string path, string? property)
    {
        var org = app.NewOrg();

        var response = await org.Viewer.GetAsync(path, TestContext.Current.CancellationToken);

        // Had payouts/{id} taken it, this would be 404 for a payout named "stats" or "export".
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (property is null)
        {
            Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        }
        else
        {
            Assert.NotNull((await TestOrg.Json(response))[property]);
        }
    }

    [Theory]
    [InlineData("GET", "/api/nowhere")]
    [InlineData("GET", "/payouts")]
    [InlineData("PUT", "/api/payouts/po_1")]
    [InlineData("POST", "/api/payouts/stats")]
    [InlineData("DELETE", "/api/organization")]
    public async Task Routing_UnknownRouteOrAnotherMethod_Is404NotFound(string method, string path)
    {
        var org = app.NewOrg();

        var response = await org.Admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), TestContext.Current.CancellationToken);

        // The Functions host has no 405: a route whose method no function takes is not found.
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task CommissionRun_FiredWithTheTimerPayload_SettlesLastMonthOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = app.NewOrg();
        var partnerId = await org.CreatePartnerAsync(rateBps: 1000);
        await org.ImportWonDealLastMonthAsync(partnerId, ct);
        var lastMonth = DateTimeOffset.UtcNow.AddMonths(-1);

        var first = await app.Host.InvokeAsync("CommissionRun", cancellationToken: ct);
        var second = await app.Host.InvokeAsync("CommissionRun", cancellationToken: ct);

        Assert.True(first.Succeeded, first.Error);
        Assert.True(second.Succeeded, second.Error);
        var payouts = (await TestOrg.Json(await org.Viewer.GetAsync("/api/payouts", ct)))["data"]!.AsArray();
        var payout = Assert.Single(payouts)!;
        Assert.Equal(25_000, payout["amount"]!.GetValue<long>());
        Assert.Equal($"{lastMonth.Year:D4}-{lastMonth.Month:D2}", payout["period"]!.GetValue<string>());
        Assert.Equal("commission_run", payout["source"]!.GetValue<string>());
    }

    [Fact]
    public async Task AdminRoute_RunsATimerFunction_AndRefusesAnHttpOne()
    {
        using var client = new HttpClient { BaseAddress = app.Host.BaseAddress };

        var timer = await client.PostAsync("/admin/functions/CommissionRun", JsonContent.Create(new { input = "" }), TestContext.Current.CancellationToken);
        var http = await client.PostAsync("/admin/functions/GetHealth", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, timer.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, http.StatusCode);
    }

    [Fact]
    public async Task Start_WorkerThatFailsAtStart_FailsWithTheWorkersOwnReason()
    {
        // The app's build output, run as its own process: on Cosmos DB without an endpoint it stops at start-up.
        var options = new LocalHostOptions
        {
            AppDirectory = BuildOutput(),
            Urls = ["http://127.0.0.1:0"],
            Settings = new Dictionary<string, string>
            {
                ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
                ["CommissionRunSchedule"] = "0 0 2 1 * *",
                ["EventRelaySchedule"] = FunctionApp.EverySecond,
                ["PaymentsSchedule"] = FunctionApp.EverySecond,
                ["NotificationsSchedule"] = FunctionApp.EverySecond,
                ["WebhooksSchedule"] = FunctionApp.EverySecond,
                ["StatementsSchedule"] = "0 0 4 1 * *",
                ["ReconciliationSchedule"] = "0 30 3 * * *",
                ["Storage__Provider"] = "cosmos",
            },
        };

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
            await (await LocalFunctionsHost.StartAsync(options, new ProcessWorkerLauncher(), cancellationToken: TestContext.Current.CancellationToken)).DisposeAsync());

        Assert.Contains("CosmosOptions", error.Message, StringComparison.Ordinal);
        Assert.Contains("Endpoint", error.Message, StringComparison.Ordinal);
    }

    public sealed class App : IAsyncLifetime
    {
        private FunctionApp _app = null!;

        public LocalFunctionsHost Host => _app.Host;

        public TestOrg NewOrg() => new(_factory);

        private ApiFactory _factory = null!;

        public async ValueTask InitializeAsync()
        {
            _app = await FunctionApp.StartAsync(ApiFactory.UseTestSettings);
            _factory = ApiFactory.For(_app);
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }
}
