using System.Net.Http.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Microsoft.Extensions.DependencyInjection;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Tests.Api;

namespace PartnerBase.Functions.Tests.Events;

/// <summary>
/// The event flow on the embedded default, function by function as the host fires them: PublishPayoutEvents relays
/// the committed events to the in-memory topic, ProcessPayments and SendNotifications drain its subscriptions.
/// </summary>
public sealed class EventFlowTests : IAsyncLifetime
{
    private RecordingApp _app = null!;

    public async ValueTask InitializeAsync() => _app = await RecordingApp.StartAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task CreateAndApprove_ReachEachSubscriptionOnce_AndARedeliveryIsIgnored()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await CreateAndApprovePayoutAsync(NewOrgId());

        await _app.InvokeAsync("PublishPayoutEvents");
        await _app.InvokeAsync("PublishPayoutEvents");
        await _app.InvokeAsync("ProcessPayments");
        await _app.InvokeAsync("SendNotifications");
        await _app.InvokeAsync("SendNotifications");
        var approved = _app.Payments.Received.Single(e => e.PayoutId == id);
        var outcome = await _app.Services.GetRequiredService<EventDelivery>().DeliverAsync(Subscriptions.Payments, approved, ct);

        Assert.Equal(DeliveryOutcome.AlreadyHandled, outcome);
        Assert.Equal(["com.partnerbase.payout.created", "com.partnerbase.payout.approved"], _app.Notifications.Received.Where(e => e.PayoutId == id).Select(e => e.Type));
        Assert.Equal(2, approved.Sequence);
        Assert.Equal(2, _app.Topic.Accepted.Count(m => m.SessionId == id));
    }

    [Fact]
    public async Task MessagesOnTheTopic_AreCloudEventsTheCloudEventsSdkReads()
    {
        var id = await CreateAndApprovePayoutAsync(NewOrgId());
        await _app.InvokeAsync("PublishPayoutEvents");

        var messages = _app.Topic.Accepted.Where(m => m.SessionId == id).ToList();

        Assert.Equal(2, messages.Count);
        var formatter = new JsonEventFormatter();
        Assert.All(messages, message =>
        {
            var cloudEvent = formatter.DecodeStructuredModeMessage(message.Body.ToMemory(), new System.Net.Mime.ContentType(message.ContentType), null);
            Assert.Equal(CloudEventsSpecVersion.V1_0, cloudEvent.SpecVersion);
            Assert.Equal(message.MessageId, cloudEvent.Id);
            Assert.Equal(message.Subject, cloudEvent.Type);
            Assert.Equal(id, cloudEvent.Subject);
            Assert.Equal("application/json", cloudEvent.DataContentType);
            Assert.NotNull(cloudEvent.Time);
            Assert.True(cloudEvent.IsValid);
        });
    }

    [Fact]
    public async Task AConsumerThatKeepsFailing_IsDeadLetteredAfterMaxDeliveries_WhileOtherSessionsAndThePaymentsGoOn()
    {
        // Only this organization's events fail: the demo organization's seeded events are on the topic too.
        var failing = NewOrgId();
        _app.Notifications.FailWhen = e => e.OrgId == failing;
        var id = await CreateAndApprovePayoutAsync(failing);
        var other = await CreateAndApprovePayoutAsync(NewOrgId());
        await _app.InvokeAsync("PublishPayoutEvents");

        await _app.InvokeAsync("ProcessPayments");
        for (var run = 0; run < Subscriptions.MaxDeliveryCount; run++)
        {
            await _app.InvokeAsync("SendNotifications");
        }

        Assert.Single(_app.Payments.Received, e => e.PayoutId == id);
        Assert.Equal(2, _app.Notifications.Received.Count(e => e.PayoutId == other));
        Assert.Equal(Subscriptions.MaxDeliveryCount, _app.Notifications.Failed.Count(e => e.PayoutId == id));
        var deadLetter = Assert.Single(_app.Topic.DeadLettered(Subscriptions.Notifications), m => m.SessionId == id);
        Assert.Equal(Subscriptions.MaxDeliveryCount, deadLetter.DeliveryCount);
        Assert.EndsWith("payout.created", deadLetter.Subject, StringComparison.Ordinal);

        // The session's next event (the approval) comes once the created one is out of the way.
        _app.Notifications.Fail = false;
        await _app.InvokeAsync("SendNotifications");
        Assert.Equal(["com.partnerbase.payout.approved"], _app.Notifications.Received.Where(e => e.PayoutId == id).Select(e => e.Type));
    }

    [Fact]
    public async Task ApprovalRecorded_ReachesNotificationsOnly_ThenTheSecondApprovalReachesPayments()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = NewOrgId();
        var admin = ClientFor(org, "admin");
        await admin.PatchAsync("/api/organization", TestOrg.RawJson("""{ "approvalPolicy": { "dualApprovalAtOrAbove": { "USD": 500 } } }"""), ct);
        var id = await CreateAndApprovePayoutAsync(org);
        await _app.InvokeAsync("PublishPayoutEvents");
        await _app.InvokeAsync("ProcessPayments");
        await _app.InvokeAsync("SendNotifications");

        Assert.DoesNotContain(_app.Payments.Received, e => e.PayoutId == id);
        Assert.Equal(["com.partnerbase.payout.created", "com.partnerbase.payout.approval_recorded"], _app.Notifications.Received.Where(e => e.PayoutId == id).Select(e => e.Type));

        var second = _app.CreateClient();
        second.DefaultRequestHeaders.Authorization = new("Bearer", ApiFactory.Token(org, "approver-2", ["approver"]));
        await TestOrg.ExpectAsync(await second.PostAsync($"/api/payouts/{id}/approve", null, ct), System.Net.HttpStatusCode.OK);
        await _app.InvokeAsync("PublishPayoutEvents");
        await _app.InvokeAsync("ProcessPayments");

        var approved = Assert.Single(_app.Payments.Received, e => e.PayoutId == id);
        Assert.Equal(("com.partnerbase.payout.approved", 3L), (approved.Type, approved.Sequence));
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
}
