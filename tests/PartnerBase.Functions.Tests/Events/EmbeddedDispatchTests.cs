using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Tests.Api;

namespace PartnerBase.Functions.Tests.Events;

/// <summary>On the embedded store (dotnet run), each new payout event reaches the consumers in-process.</summary>
public sealed class EmbeddedDispatchTests : IAsyncLifetime
{
    private RecordingApp _app = null!;

    public async ValueTask InitializeAsync() => _app = await RecordingApp.StartAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task CreateAndApprove_ReachEachConsumerOncePerEvent_AndARedeliveryIsIgnored()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await CreateAndApprovePayoutAsync(NewOrgId());

        await WaitUntilAsync(() => _app.Notifications.Received.Count(e => e.PayoutId == id) >= 2 && _app.Payments.Received.Any(e => e.PayoutId == id));
        var approved = _app.Payments.Received.Single(e => e.PayoutId == id);
        var outcome = await _app.Services.GetRequiredService<EventDelivery>().DeliverAsync("payments", approved, ct);
        await Task.Delay(300, ct);

        Assert.Equal(DeliveryOutcome.AlreadyHandled, outcome);
        Assert.Equal(["com.partnerbase.payout.created", "com.partnerbase.payout.approved"], _app.Notifications.Received.Where(e => e.PayoutId == id).Select(e => e.Type));
        Assert.Single(_app.Payments.Received, e => e.PayoutId == id);
        Assert.Equal(2, approved.Sequence);
    }

    [Fact]
    public async Task AConsumerThatKeepsFailing_GivesUpAfterMaxDeliveries_WithoutHoldingUpAnother()
    {
        var ct = TestContext.Current.CancellationToken;
        // Only this organization's events: under dotnet run the demo organization's seeded events come too.
        var org = NewOrgId();
        _app.Notifications.FailWhen = e => e.OrgId == org;
        var id = await CreateAndApprovePayoutAsync(org);

        await WaitUntilAsync(() => _app.Payments.Received.Any(e => e.PayoutId == id));
        var failuresWhenPaymentsGotIt = _app.Notifications.Failed.Count(e => e.PayoutId == id);
        await WaitUntilAsync(() => _app.Notifications.Failed.Count(e => e.PayoutId == id) >= EmbeddedEventDispatcher.MaxDeliveries);
        _app.Notifications.Fail = false;
        await WaitUntilAsync(() => _app.Notifications.Received.Any(e => e.PayoutId == id));
        await Task.Delay(300, ct);

        Assert.InRange(failuresWhenPaymentsGotIt, 0, EmbeddedEventDispatcher.MaxDeliveries - 1);
        Assert.Equal(EmbeddedEventDispatcher.MaxDeliveries, _app.Notifications.Failed.Count(e => e.PayoutId == id && e.Type.EndsWith("payout.created", StringComparison.Ordinal)));
        Assert.Equal(["com.partnerbase.payout.approved"], _app.Notifications.Received.Where(e => e.PayoutId == id).Select(e => e.Type));
    }

    private static string NewOrgId() => "org_" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A manager creates a payout in a new organization and an approver approves it: two events.</summary>
    private async Task<string> CreateAndApprovePayoutAsync(string org)
    {
        var ct = TestContext.Current.CancellationToken;
        var manager = ClientFor(org, "manager");
        await manager.PostAsJsonAsync("/api/partners", new { id = "p1", name = "P", email = "p@example.com", commissionRateBps = 100 }, ct);
        var created = await TestOrg.Json(await manager.PostAsJsonAsync("/api/payouts", new { partnerId = "p1", amount = 500, currency = "USD", period = "2026-07" }, ct));
        var id = created["id"]!.GetValue<string>();
        await ClientFor(org, "approver").PostAsync($"/api/payouts/{id}/approve", null, ct);
        return id;
    }

    private HttpClient ClientFor(string org, string role)
    {
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiFactory.Token(org, role + "-user", [role]));
        return client;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the consumers were not reached within 60 s");
            await Task.Delay(50);
        }
    }
}
