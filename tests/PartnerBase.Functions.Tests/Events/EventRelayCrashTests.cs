using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PartnerBase.Core;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Cosmos;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Tests.Storage;

namespace PartnerBase.Functions.Tests.Events;

/// <summary>
/// The relay under crashes (ARCHITECTURE.md decision 2), on each store: the run dies before a send reaches the
/// topic, or after the topic took it but before the position moved — at every send of a run that takes three pages,
/// so that earlier pages were sent and their position saved (a crash after the checkpoint). A restarted relay runs
/// again; every event then reaches each subscription exactly once, in version order per payout, none lost.
/// </summary>
public abstract class EventRelayCrashTests
{
    private static readonly Actor Manager = Actor.User("manager");
    private static readonly Actor Approver = Actor.User("approver");

    public static TheoryData<int, bool> Faults()
    {
        var data = new TheoryData<int, bool>();
        for (var send = 1; send <= 3; send++)
        {
            data.Add(send, false);
            data.Add(send, true);
        }

        return data;
    }

    protected abstract IPayoutStore CreateStore(TimeProvider timeProvider);

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Relay_CrashingAtASend_ThenRunAgain_DeliversEveryEventOnceInOrder(int failingSend, bool afterTheTopicTookIt)
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = CreateStore(time);
        var orgId = "org_" + Guid.NewGuid().ToString("N")[..12];
        var reader = "relay-test-" + Guid.NewGuid().ToString("N")[..8];
        await CatchUpAsync(store, reader, ct);
        var expected = await CommitEventsAsync(store, time, orgId, ct);
        var topic = new InMemoryTopic(time);

        var crashing = new EventRelay(store, new CrashingTopic(topic, failingSend, afterTheTopicTookIt), NullLogger<EventRelay>.Instance, reader, pageSize: 2);
        await Assert.ThrowsAsync<IOException>(() => crashing.RelayAsync(ct));
        var restarted = new EventRelay(store, topic, NullLogger<EventRelay>.Instance, reader, pageSize: 2);
        await restarted.RelayAsync(ct);
        await restarted.RelayAsync(ct);

        foreach (var subscription in Subscriptions.All)
        {
            var received = (await DrainAsync(topic, subscription, ct)).Where(m => (string)m.ApplicationProperties[PayoutMessages.OrgIdProperty] == orgId).ToList();
            var wanted = expected.Where(e => Subscriptions.Takes(subscription, PayoutCloudEvents.TypeOf(e))).ToList();
            Assert.Equal(wanted.Select(e => e.Id).Order(StringComparer.Ordinal), received.Select(m => m.MessageId).Order(StringComparer.Ordinal));
            Assert.All(received.GroupBy(m => m.SessionId), session =>
                Assert.Equal(session.Select(m => PayoutMessages.ToEvent(m).Sequence).Order(), session.Select(m => PayoutMessages.ToEvent(m).Sequence)));
        }
    }

    /// <summary>Three payouts: created, approved, one of them rejected instead — 5 events, three pages of two.</summary>
    private static async Task<List<PayoutEvent>> CommitEventsAsync(IPayoutStore store, FakeTimeProvider time, string orgId, CancellationToken ct)
    {
        var usd = Currency.Parse("USD");
        var events = new List<PayoutEvent>();
        for (var i = 1; i <= 2; i++)
        {
            var created = Payout.Create(new PayoutDraft($"po_relay_{i}", orgId, "pt_1", new Money(1_000 * i, usd), Period.Month(2026, 7), null, null), Manager, time.GetUtcNow());
            Assert.True(await store.TrySaveChangeAsync(created, null, ct));
            time.Advance(TimeSpan.FromSeconds(1));
            var approved = created.Payout.Approve(Approver, ApprovalPolicy.Default, time.GetUtcNow()).Value;
            Assert.True(await store.TrySaveChangeAsync(approved, created.Payout, ct));
            time.Advance(TimeSpan.FromSeconds(1));
            events.AddRange([created, approved]);
        }

        var third = Payout.Create(new PayoutDraft("po_relay_3", orgId, "pt_1", new Money(3_000, usd), Period.Month(2026, 7), null, null), Manager, time.GetUtcNow());
        Assert.True(await store.TrySaveChangeAsync(third, null, ct));
        events.Add(third);
        return events;
    }

    /// <summary>Moves the reader past what other tests committed to a shared store, so that its pages are this test's.</summary>
    private static async Task CatchUpAsync(IPayoutStore store, string reader, CancellationToken ct)
    {
        string? position = null;
        while (true)
        {
            var page = await store.ReadEventLogAsync(position, 1_000, ct);
            if (page.Position is null || page.Position == position)
            {
                break;
            }

            position = page.Position;
            await store.SaveEventLogPositionAsync(reader, position, ct);
            if (!page.More)
            {
                break;
            }
        }
    }

    private static async Task<List<ServiceBusReceivedMessage>> DrainAsync(InMemoryTopic topic, string subscription, CancellationToken ct)
    {
        var received = new List<ServiceBusReceivedMessage>();
        while (await topic.AcceptNextSessionAsync(subscription, ct) is { } session)
        {
            await using (session)
            {
                foreach (var message in await session.ReceiveAsync(100, ct))
                {
                    received.Add(message);
                    await session.CompleteAsync(message, ct);
                }
            }
        }

        return received;
    }

    /// <summary>The topic, except that the run dies at one send: before the topic takes it, or after.</summary>
    private sealed class CrashingTopic(IEventTopic inner, int failingSend, bool afterTheTopicTookIt) : IEventTopic
    {
        private int _sends;

        public async Task SendAsync(IReadOnlyList<ServiceBusMessage> messages, CancellationToken cancellationToken)
        {
            var crash = ++_sends == failingSend;
            if (crash && !afterTheTopicTookIt)
            {
                throw new IOException("The connection dropped before the send.");
            }

            await inner.SendAsync(messages, cancellationToken);
            if (crash)
            {
                throw new IOException("The process died after the topic took the batch.");
            }
        }

        public Task<IEventSession?> AcceptNextSessionAsync(string subscription, CancellationToken cancellationToken) =>
            inner.AcceptNextSessionAsync(subscription, cancellationToken);
    }
}

public sealed class InMemoryEventRelayCrashTests : EventRelayCrashTests
{
    protected override IPayoutStore CreateStore(TimeProvider timeProvider) => new InMemoryPayoutStore(timeProvider);
}

public sealed class CosmosEventRelayCrashTests(CosmosServer server) : EventRelayCrashTests
{
    protected override IPayoutStore CreateStore(TimeProvider timeProvider) => new CosmosPayoutStore(server.Container, timeProvider);
}
