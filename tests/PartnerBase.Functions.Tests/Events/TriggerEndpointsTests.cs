using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using PartnerBase.Functions.Tests.Api;

namespace PartnerBase.Functions.Tests.Events;

/// <summary>The endpoints the Functions host calls, driven with the host's documented payloads.</summary>
public sealed class TriggerEndpointsTests : IAsyncLifetime
{
    private FakeServiceBus _serviceBus = null!;
    private HostedAppFactory _app = null!;

    public async ValueTask InitializeAsync()
    {
        _serviceBus = await FakeServiceBus.StartAsync();
        _app = new HostedAppFactory(_serviceBus);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _serviceBus.DisposeAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PublishEvents_ChangedDocuments_PublishesTheEventsAndIgnoresOtherDocuments(bool encodeTwice)
    {
        var events = TestEvents.History();
        var documents = new JsonArray(events.Select(e => TestEvents.Document(e)).Append(new JsonObject { ["id"] = "payout:po_events_1", ["type"] = "payout", ["orgId"] = "org_events" }).ToArray());

        var response = await _app.CreateClient().PostAsync("/PublishEvents", TestEvents.Invocation("documents", documents, encodeTwice), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await TestOrg.Json(response);
        Assert.Empty(result["Outputs"]!.AsObject());
        Assert.Contains("Published 4 payout events of 5", result["Logs"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(result["ReturnValue"]);
        Assert.Equal(events.Select(e => e.Id).Order(), _serviceBus.Accepted.Keys.Order());
        Assert.Empty(_serviceBus.WireErrors);
    }

    [Fact]
    public async Task PublishEvents_DocumentsEachEncodedAsString_AreAccepted()
    {
        var change = TestEvents.History()[0];
        var documents = new JsonArray(JsonValue.Create(TestEvents.Document(change).ToJsonString()));

        var response = await _app.CreateClient().PostAsync("/PublishEvents", TestEvents.Invocation("documents", documents, encodeTwice: false), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(_serviceBus.Accepted.ContainsKey(change.Id));
    }

    [Fact]
    public async Task PublishEvents_TopicRefusesTheBatch_ReturnsNon2xxSoTheHostRetries()
    {
        _serviceBus.Script([], then: 401);
        var documents = new JsonArray(TestEvents.Document(TestEvents.History()[0]));

        var response = await _app.CreateClient().PostAsync("/PublishEvents", TestEvents.Invocation("documents", documents, encodeTwice: false), TestContext.Current.CancellationToken);

        Assert.False(response.IsSuccessStatusCode);
        Assert.Empty(_serviceBus.Accepted);
    }

    [Theory]
    [InlineData("/ProcessPayment", false)]
    [InlineData("/ProcessPayment", true)]
    [InlineData("/SendNotifications", false)]
    [InlineData("/SendNotifications", true)]
    public async Task Consumers_RedeliveredMessage_AreCalledOncePerEvent(string endpoint, bool encodeTwice)
    {
        var approved = TestEvents.History("org_" + Guid.NewGuid().ToString("N")[..8])[1];
        var client = _app.CreateClient();

        for (var delivery = 0; delivery < 3; delivery++)
        {
            var response = await client.PostAsync(endpoint, TestEvents.Invocation("message", TestEvents.Message(approved), encodeTwice, messageId: approved.Id), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.NotEmpty((await TestOrg.Json(response))["Logs"]!.AsArray());
        }

        var consumer = endpoint == "/ProcessPayment" ? _app.Payments : _app.Notifications;
        var received = Assert.Single(consumer.Received);
        Assert.Equal(approved.Id, received.Id);
        Assert.Equal("com.partnerbase.payout.approved", received.Type);
        Assert.Equal(approved.PayoutId, received.PayoutId);
        Assert.Equal(2, received.Sequence);
        Assert.Equal("approved", received.Data.GetProperty("payout").GetProperty("status").GetString());
    }

    [Fact]
    public async Task ProcessPayment_EventOutsideTheSubscription_IsNotHandled()
    {
        var created = TestEvents.History("org_" + Guid.NewGuid().ToString("N")[..8])[0];

        var response = await _app.CreateClient().PostAsync("/ProcessPayment", TestEvents.Invocation("message", TestEvents.Message(created), encodeTwice: false), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(_app.Payments.Received);
    }

    [Fact]
    public async Task SendNotifications_FailingConsumer_ReturnsNon2xxAndIsRetriedLater()
    {
        var change = TestEvents.History("org_" + Guid.NewGuid().ToString("N")[..8])[0];
        var client = _app.CreateClient();
        _app.Notifications.Fail = true;

        var failed = await client.PostAsync("/SendNotifications", TestEvents.Invocation("message", TestEvents.Message(change), encodeTwice: false), TestContext.Current.CancellationToken);
        _app.Notifications.Fail = false;
        var redelivered = await client.PostAsync("/SendNotifications", TestEvents.Invocation("message", TestEvents.Message(change), encodeTwice: false), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, redelivered.StatusCode);
        Assert.Single(_app.Notifications.Received);
    }

    [Fact]
    public async Task SendNotifications_MessageThatIsNotACloudEvent_Returns400()
    {
        var response = await _app.CreateClient().PostAsync("/SendNotifications", TestEvents.Invocation("message", new JsonObject { ["hello"] = "world" }, encodeTwice: false), TestContext.Current.CancellationToken);

        await ProblemAssert.IsValidationProblemAsync(response, "Data.message");
        Assert.Empty(_app.Notifications.Received);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CommissionRun_Timer_SettlesLastMonthForEveryRegisteredOrganization(bool encodeTwice)
    {
        var ct = TestContext.Current.CancellationToken;
        var org = "org_" + Guid.NewGuid().ToString("N")[..8];
        var manager = _app.CreateClient();
        manager.DefaultRequestHeaders.Authorization = new("Bearer", ApiFactory.Token(org, "manager-1", ["manager"]));
        await manager.PostAsJsonAsync("/api/partners", new { id = "p1", name = "P", email = "p@example.com", commissionRateBps = 1000 }, ct);
        var lastMonth = DateTimeOffset.UtcNow.AddMonths(-1);
        var closed = new DateTimeOffset(lastMonth.Year, lastMonth.Month, 2, 0, 0, 0, TimeSpan.Zero);
        var ingest = await manager.PostAsJsonAsync("/api/attributions", new
        {
            attributions = new[] { new { id = "a1", partnerId = "p1", dealId = "d1", attributedAmount = 50_000, currency = "USD", closedAt = closed, status = "won" } },
        }, ct);
        Assert.Equal(HttpStatusCode.OK, ingest.StatusCode);
        var timer = new JsonObject
        {
            ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
            ["ScheduleStatus"] = new JsonObject { ["Last"] = "2026-10-01T02:00:00Z", ["Next"] = "2026-12-01T02:00:00Z", ["LastUpdated"] = "2026-11-01T02:00:00Z" },
            ["IsPastDue"] = false,
        };

        var response = await _app.CreateClient().PostAsync("/CommissionRun", TestEvents.Invocation("timer", timer, encodeTwice), ct);
        var again = await _app.CreateClient().PostAsync("/CommissionRun", TestEvents.Invocation("timer", timer, encodeTwice), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains((await TestOrg.Json(response))["Logs"]!.AsArray(), log => log!.GetValue<string>().StartsWith($"{org}: {lastMonth:yyyy-MM}: 1 payouts", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var payouts = await TestOrg.Json(await manager.GetAsync("/api/payouts", ct));
        var payout = Assert.Single(payouts["data"]!.AsArray())!;
        Assert.Equal(5_000, payout["amount"]!.GetValue<long>());
        Assert.Equal("commission_run", payout["source"]!.GetValue<string>());
        Assert.Equal($"{lastMonth:yyyy-MM}", payout["period"]!.GetValue<string>());
    }

    [Fact]
    public async Task TriggerEndpoint_FromAnotherMachine_IsRefused()
    {
        var server = _app.Server;

        var context = await server.SendAsync(http =>
        {
            http.Request.Method = "POST";
            http.Request.Path = "/SendNotifications";
            http.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        }, TestContext.Current.CancellationToken);

        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
    }

    [Fact]
    public async Task TriggerEndpoints_WithoutTheFunctionsHost_DoNotExist()
    {
        await using var standalone = new HostedAppFactory(_serviceBus, underHost: false);

        var response = await standalone.CreateClient().PostAsync("/PublishEvents", TestEvents.Invocation("documents", new JsonArray(), encodeTwice: false), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
