using System.Net.Mime;
using System.Text;
using System.Text.Json;
using Azure.Messaging.ServiceBus;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Events;

namespace PartnerBase.Functions.Tests.Events;

/// <summary>
/// The Service Bus adapter and what runs over it (the message shape, the relay, the subscription consumer), through
/// the SDK's own mocking support: subclassed clients and <see cref="ServiceBusModelFactory"/>. No broker runs here.
/// </summary>
public sealed class ServiceBusTopicTests
{
    private const string OrgId = "org_sb";

    // Defined here rather than taken from PayoutCloudEvents, so that the decoding does not trust the code under test.
    private static readonly CloudEventAttribute OrgIdExtension = CloudEventAttribute.CreateExtension("orgid", CloudEventAttributeType.String);
    private static readonly CloudEventAttribute PartnerIdExtension = CloudEventAttribute.CreateExtension("partnerid", CloudEventAttributeType.String);
    private static readonly CloudEventAttribute SequenceExtension = CloudEventAttribute.CreateExtension("sequence", CloudEventAttributeType.Integer);

    [Theory]
    [InlineData(0, "created", null, "user", "manager", "pending_approval")]
    [InlineData(1, "approved", "pending_approval", "user", "approver", "approved")]
    [InlineData(2, "processing", "approved", "system", "system", "processing")]
    [InlineData(3, "paid", "processing", "system", "system", "paid")]
    public void ToMessage_ForAPayoutEvent_SetsEveryPropertyOfTheContract(int index, string action, string? previousStatus, string actorKind, string actorId, string status)
    {
        var change = TestEvents.History(OrgId, "po_sb_1")[index];
        var type = "com.partnerbase.payout." + action;

        var message = PayoutMessages.ToMessage(change);

        Assert.Equal(change.Id, message.MessageId);
        Assert.Equal("po_sb_1", message.SessionId);
        Assert.Equal("po_sb_1", message.CorrelationId);
        Assert.Equal(type, message.Subject);
        Assert.Equal("application/cloudevents+json", message.ContentType);
        Assert.Equal(["eventType", "orgId", "partnerId"], message.ApplicationProperties.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(type, message.ApplicationProperties["eventType"]);
        Assert.Equal(OrgId, message.ApplicationProperties["orgId"]);
        Assert.Equal("pt_1", message.ApplicationProperties["partnerId"]);

        using var raw = JsonDocument.Parse(message.Body.ToMemory());
        Assert.Equal("1.0", raw.RootElement.GetProperty("specversion").GetString());
        var cloudEvent = new JsonEventFormatter().DecodeStructuredModeMessage(
            message.Body.ToMemory(), new ContentType(message.ContentType), [OrgIdExtension, PartnerIdExtension, SequenceExtension]);
        Assert.Equal(CloudEventsSpecVersion.V1_0, cloudEvent.SpecVersion);
        Assert.Equal(change.Id, cloudEvent.Id);
        Assert.Equal(new Uri($"/organizations/{OrgId}/payouts", UriKind.Relative), cloudEvent.Source);
        Assert.Equal(type, cloudEvent.Type);
        Assert.Equal("po_sb_1", cloudEvent.Subject);
        Assert.Equal(change.At, cloudEvent.Time);
        Assert.Equal("application/json", cloudEvent.DataContentType);
        Assert.Equal(OrgId, cloudEvent[OrgIdExtension]);
        Assert.Equal("pt_1", cloudEvent[PartnerIdExtension]);
        Assert.Equal(index + 1, cloudEvent[SequenceExtension]);

        var data = Assert.IsType<JsonElement>(cloudEvent.Data);
        Assert.Equal(["actor", "payout", "previousStatus"], data.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var payout = data.GetProperty("payout");
        Assert.Equal("po_sb_1", payout.GetProperty("id").GetString());
        Assert.Equal("pt_1", payout.GetProperty("partnerId").GetString());
        Assert.Equal(12_345, payout.GetProperty("amount").GetInt64());
        Assert.Equal("USD", payout.GetProperty("currency").GetString());
        Assert.Equal(status, payout.GetProperty("status").GetString());
        Assert.Equal(index + 1, payout.GetProperty("version").GetInt64());
        Assert.Equal(previousStatus, data.GetProperty("previousStatus").GetString());
        Assert.Equal(actorKind, data.GetProperty("actor").GetProperty("kind").GetString());
        Assert.Equal(actorId, data.GetProperty("actor").GetProperty("id").GetString());
    }

    [Theory]
    [InlineData(3, new[] { 3, 3, 1 })]
    [InlineData(7, new[] { 7 })]
    [InlineData(1, new[] { 1, 1, 1, 1, 1, 1, 1 })]
    public async Task SendAsync_SevenMessages_GoOutInOrderInAsManyBatchesAsTheSizeLimitNeeds(int room, int[] batchSizes)
    {
        var client = new TestServiceBusClient();
        client.Sender.Fits = TestSender.RoomFor(room);
        await using var topic = Topic(client);
        var messages = Messages(7);

        await topic.SendAsync(messages, TestContext.Current.CancellationToken);

        Assert.Equal(["payout-events"], client.SenderEntities);
        Assert.Equal(batchSizes, client.Sender.SentBatches.Select(batch => batch.Count));
        Assert.Equal(messages.Select(m => m.MessageId), client.Sender.Sent.Select(m => m.MessageId));
    }

    [Fact]
    public async Task SendAsync_BatchesFilledByBytes_KeepTheOrder()
    {
        var client = new TestServiceBusClient();
        client.Sender.Fits = TestSender.RoomForBytes(250);
        await using var topic = Topic(client);
        ServiceBusMessage[] messages = [Message("m1", 100), Message("m2", 100), Message("m3", 200), Message("m4", 40), Message("m5", 20)];

        await topic.SendAsync(messages, TestContext.Current.CancellationToken);

        Assert.Equal([["m1", "m2"], ["m3", "m4"], ["m5"]], client.Sender.SentBatches.Select(batch => batch.Select(m => m.MessageId).ToArray()));
    }

    [Fact]
    public async Task SendAsync_NoMessages_SendsNothing()
    {
        var client = new TestServiceBusClient();
        await using var topic = Topic(client);

        await topic.SendAsync([], TestContext.Current.CancellationToken);

        Assert.Equal(0, client.Sender.SendAttempts);
    }

    [Fact]
    public async Task SendAsync_MessageTooLargeForAnEmptyBatch_ThrowsAndSendsNothingFurther()
    {
        var client = new TestServiceBusClient();
        client.Sender.Fits = TestSender.RoomForBytes(1_000);
        await using var topic = Topic(client);
        ServiceBusMessage[] messages = [Message("m1", 100), Message("huge", 2_000), Message("m3", 100)];

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => topic.SendAsync(messages, TestContext.Current.CancellationToken));

        Assert.Contains("huge", exception.Message, StringComparison.Ordinal);
        Assert.Equal(["m1"], client.Sender.Sent.Select(m => m.MessageId));
        Assert.Equal(1, client.Sender.SendAttempts);
    }

    [Fact]
    public async Task SendAsync_FirstMessageTooLargeForAnEmptyBatch_ThrowsAndSendsNothing()
    {
        var client = new TestServiceBusClient();
        client.Sender.Fits = TestSender.RoomForBytes(1_000);
        await using var topic = Topic(client);

        await Assert.ThrowsAsync<InvalidOperationException>(() => topic.SendAsync([Message("huge", 2_000), Message("m2", 100)], TestContext.Current.CancellationToken));

        Assert.Equal(0, client.Sender.SendAttempts);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 3)]
    public async Task SendAsync_WhenSendMessagesAsyncThrows_ThrowsAndSendsNoLaterBatch(int failingAttempt, int sentBefore)
    {
        var client = new TestServiceBusClient();
        var failure = new ServiceBusException("The namespace is unreachable.", ServiceBusFailureReason.ServiceCommunicationProblem);
        client.Sender.Fits = TestSender.RoomFor(3);
        client.Sender.FailAttempt = attempt => attempt == failingAttempt ? failure : null;
        await using var topic = Topic(client);
        var messages = Messages(7);

        var thrown = await Assert.ThrowsAsync<ServiceBusException>(() => topic.SendAsync(messages, TestContext.Current.CancellationToken));

        Assert.Same(failure, thrown);
        Assert.Equal(failingAttempt, client.Sender.SendAttempts);
        Assert.Equal(messages.Take(sentBefore).Select(m => m.MessageId), client.Sender.Sent.Select(m => m.MessageId));
    }

    [Fact]
    public async Task DisposeAsync_DisposesTheSender()
    {
        var client = new TestServiceBusClient();
        var topic = Topic(client);

        await topic.DisposeAsync();

        Assert.True(client.Sender.Disposed);
    }

    [Fact]
    public async Task RelayAsync_WhenTheSendFails_LeavesThePositionAndTheNextRunSendsEveryEventOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = new InMemoryPayoutStore(TimeProvider.System);
        var first = TestEvents.History(OrgId, "po_relay_1");
        var second = TestEvents.History(OrgId, "po_relay_2");
        await CommitAsync(store, first);
        await CommitAsync(store, second);
        PayoutEvent[] events = [.. first, .. second];
        var client = new TestServiceBusClient();
        var failure = new ServiceBusException("The namespace is unreachable.", ServiceBusFailureReason.ServiceCommunicationProblem);
        client.Sender.FailAttempt = _ => failure;
        await using var topic = Topic(client);
        var relay = new EventRelay(store, topic, NullLogger<EventRelay>.Instance);

        var thrown = await Assert.ThrowsAsync<ServiceBusException>(() => relay.RelayAsync(ct));

        Assert.Same(failure, thrown);
        Assert.Null(await store.GetEventLogPositionAsync(EventRelay.Reader, ct));
        Assert.Empty(client.Sender.Sent);

        client.Sender.FailAttempt = _ => null;
        var sent = await relay.RelayAsync(ct);

        Assert.Equal(events.Length, sent);
        Assert.Equal(events.Select(e => e.Id), client.Sender.Sent.Select(m => m.MessageId));
        Assert.Equal((await store.ReadEventLogAsync(null, int.MaxValue, ct)).Position, await store.GetEventLogPositionAsync(EventRelay.Reader, ct));
        Assert.Equal(0, await relay.RelayAsync(ct));
        Assert.Equal(events.Length, client.Sender.Sent.Count());
    }

    [Fact]
    public async Task RelayAsync_WhenTheSecondPageFails_KeepsThePositionAfterTheFirstPage()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = new InMemoryPayoutStore(TimeProvider.System);
        // 64 payouts of 4 events: one page of EventRelay.PageSize, then the rest.
        var events = Enumerable.Range(1, 64).SelectMany(i => TestEvents.History(OrgId, $"po_page_{i:D2}")).ToList();
        foreach (var history in events.Chunk(4))
        {
            await CommitAsync(store, history);
        }

        var firstPage = await store.ReadEventLogAsync(null, EventRelay.PageSize, ct);
        var client = new TestServiceBusClient();
        client.Sender.FailAttempt = attempt => attempt == 2 ? new ServiceBusException("Busy.", ServiceBusFailureReason.ServiceBusy) : null;
        await using var topic = Topic(client);
        var relay = new EventRelay(store, topic, NullLogger<EventRelay>.Instance);

        await Assert.ThrowsAsync<ServiceBusException>(() => relay.RelayAsync(ct));

        Assert.Equal(EventRelay.PageSize, firstPage.Events.Count);
        Assert.Equal(firstPage.Position, await store.GetEventLogPositionAsync(EventRelay.Reader, ct));

        Assert.Equal(events.Count - EventRelay.PageSize, await relay.RelayAsync(ct));
        Assert.Equal(events.Select(e => e.Id), client.Sender.Sent.Select(m => m.MessageId));
    }

    [Fact]
    public async Task AcceptNextSessionAsync_WhenTheBrokerTimesOut_ReturnsNull()
    {
        var client = new TestServiceBusClient();
        await using var topic = Topic(client);

        var session = await topic.AcceptNextSessionAsync(Subscriptions.Payments, TestContext.Current.CancellationToken);

        Assert.Null(session);
        Assert.Equal([("payout-events", "payments")], client.Accepts);
    }

    [Fact]
    public async Task AcceptNextSessionAsync_WhenTheBrokerFailsOtherwise_Throws()
    {
        var client = new TestServiceBusClient
        {
            AcceptNext = _ => throw new ServiceBusException("Unauthorized.", ServiceBusFailureReason.GeneralError),
        };
        await using var topic = Topic(client);

        var thrown = await Assert.ThrowsAsync<ServiceBusException>(() => topic.AcceptNextSessionAsync(Subscriptions.Payments, TestContext.Current.CancellationToken));

        Assert.Equal(ServiceBusFailureReason.GeneralError, thrown.Reason);
    }

    [Fact]
    public async Task AcceptNextSessionAsync_WhenTheCallerCancels_Throws()
    {
        var client = new TestServiceBusClient { AcceptNext = WaitForeverAsync };
        await using var topic = Topic(client);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => topic.AcceptNextSessionAsync(Subscriptions.Notifications, cancellation.Token));
    }

    [Fact]
    public async Task AcceptNextSessionAsync_WithASession_HandsOverItsMessagesAndSettlements()
    {
        var ct = TestContext.Current.CancellationToken;
        var history = TestEvents.History(OrgId, "po_session");
        var messages = history.Select(e => ReceivedMessages.From(e)).ToList();
        var receiver = new TestSessionReceiver("po_session", messages);
        var client = new TestServiceBusClient();
        client.Sessions.Enqueue(receiver);
        await using var topic = Topic(client);

        var session = await topic.AcceptNextSessionAsync(Subscriptions.Notifications, ct);

        Assert.NotNull(session);
        Assert.Equal("po_session", session.SessionId);
        var first = await session.ReceiveAsync(3, ct);
        var rest = await session.ReceiveAsync(3, ct);
        var none = await session.ReceiveAsync(3, ct);
        Assert.Equal(messages.Take(3), first);
        Assert.Equal(messages.Skip(3), rest);
        Assert.Empty(none);
        await session.CompleteAsync(first[0], ct);
        await session.AbandonAsync(first[1], ct);
        Assert.Equal([("complete", history[0].Id), ("abandon", history[1].Id)], receiver.Settlements);
        await session.DisposeAsync();
        Assert.True(receiver.Disposed);
    }

    [Fact]
    public async Task DrainAsync_WhenTheConsumerSucceeds_CompletesEveryMessageInOrder()
    {
        var history = TestEvents.History(OrgId, "po_drain_ok");
        var receiver = Session(history);
        var drain = Drain(receiver);

        var completed = await drain.RunAsync(Subscriptions.Notifications);

        Assert.Equal(history.Length, completed);
        Assert.Equal(history.Select(e => ("complete", e.Id)), receiver.Settlements);
        Assert.Equal(history.Select(e => e.Id), drain.Notifications.Received.Select(e => e.Id));
        Assert.True(receiver.Disposed);
    }

    [Fact]
    public async Task DrainAsync_WhenTheConsumerFailsOnTheSecondMessage_CompletesTheFirstAndAbandonsTheSecond()
    {
        var history = TestEvents.History(OrgId, "po_drain_fail");
        var receiver = Session(history);
        var drain = Drain(receiver);
        drain.Notifications.FailWhen = e => e.Id == history[1].Id;

        var completed = await drain.RunAsync(Subscriptions.Notifications);

        Assert.Equal(1, completed);
        Assert.Equal([("complete", history[0].Id), ("abandon", history[1].Id)], receiver.Settlements);
        Assert.Equal([history[0].Id], drain.Notifications.Received.Select(e => e.Id));
        Assert.Equal([history[1].Id], drain.Notifications.Failed.Select(e => e.Id));
        Assert.True(receiver.Disposed);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""{"hello":"world"}""")]
    [InlineData("""{"specversion":"1.0","id":"x1","source":"/elsewhere","type":"com.example.other"}""")]
    public async Task DrainAsync_WhenABodyIsNotAPayoutEvent_AbandonsIt(string body)
    {
        var history = TestEvents.History(OrgId, "po_drain_bad");
        var stranger = ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: BinaryData.FromString(body),
            messageId: "stranger",
            sessionId: "po_drain_bad",
            contentType: PayoutCloudEvents.ContentType,
            lockTokenGuid: Guid.NewGuid(),
            deliveryCount: 1);
        var receiver = new TestSessionReceiver("po_drain_bad", [ReceivedMessages.From(history[0]), stranger, ReceivedMessages.From(history[1])]);
        var drain = Drain(receiver);

        var completed = await drain.RunAsync(Subscriptions.Notifications);

        Assert.Equal(1, completed);
        Assert.Equal([("complete", history[0].Id), ("abandon", "stranger")], receiver.Settlements);
        Assert.Equal([history[0].Id], drain.Notifications.Received.Select(e => e.Id));
    }

    [Fact]
    public async Task DrainAsync_ForPayments_CompletesEventsOutsideItsFilterWithoutHandingThemOver()
    {
        var history = TestEvents.History(OrgId, "po_drain_payments");
        var receiver = Session(history);
        var drain = Drain(receiver);

        var completed = await drain.RunAsync(Subscriptions.Payments);

        Assert.Equal(history.Length, completed);
        Assert.Equal(history.Select(e => ("complete", e.Id)), receiver.Settlements);
        Assert.Equal(["com.partnerbase.payout.approved", "com.partnerbase.payout.processing"], drain.Payments.Received.Select(e => e.Type));
        Assert.Empty(drain.Notifications.Received);
    }

    [Fact]
    public async Task DrainAsync_WhenAHandledMessageIsRedelivered_CompletesItWithoutHandlingItAgain()
    {
        var history = TestEvents.History(OrgId, "po_drain_again");
        var drain = Drain(new TestSessionReceiver("po_drain_again", [ReceivedMessages.From(history[0]), ReceivedMessages.From(history[1])]));
        await drain.RunAsync(Subscriptions.Notifications);
        var redelivered = new TestSessionReceiver("po_drain_again", [ReceivedMessages.From(history[1], deliveryCount: 2), ReceivedMessages.From(history[2])]);
        drain.Client.Sessions.Enqueue(redelivered);

        var completed = await drain.RunAsync(Subscriptions.Notifications);

        Assert.Equal(2, completed);
        Assert.Equal([("complete", history[1].Id), ("complete", history[2].Id)], redelivered.Settlements);
        Assert.Equal(history.Take(3).Select(e => e.Id), drain.Notifications.Received.Select(e => e.Id));
    }

    [Fact]
    public async Task DrainAsync_WhenAFailedSessionComesBackInTheSameRun_SkipsItWithoutReceivingFromItAgain()
    {
        var failing = TestEvents.History(OrgId, "po_drain_a");
        var healthy = TestEvents.History(OrgId, "po_drain_b");
        var first = Session(failing);
        var other = Session(healthy);
        var again = new TestSessionReceiver("po_drain_a", failing.Skip(1).Select(e => ReceivedMessages.From(e, deliveryCount: 2)));
        var drain = Drain(first, other, again);
        drain.Notifications.FailWhen = e => e.Id == failing[1].Id;

        var completed = await drain.RunAsync(Subscriptions.Notifications);

        Assert.Equal(1 + healthy.Length, completed);
        Assert.Equal([("complete", failing[0].Id), ("abandon", failing[1].Id)], first.Settlements);
        Assert.Equal(healthy.Select(e => ("complete", e.Id)), other.Settlements);
        Assert.Equal(0, again.Receives);
        Assert.True(first.Disposed);
        Assert.True(other.Disposed);
        Assert.True(again.Disposed);
        // The three sessions, then the broker's ServiceTimeout: the run goes on past the repeated one.
        Assert.Equal(4, drain.Client.Accepts.Count);
    }

    private static ServiceBusTopic Topic(TestServiceBusClient client) => new(client, Options.Create(new ServiceBusOptions()));

    private static ServiceBusMessage[] Messages(int count) =>
        Enumerable.Range(1, count).Select(i => Message($"m{i}", 10)).ToArray();

    private static ServiceBusMessage Message(string id, int bodyBytes) =>
        new(Encoding.UTF8.GetBytes(new string('x', bodyBytes))) { MessageId = id, SessionId = "po_batch" };

    private static TestSessionReceiver Session(PayoutEvent[] history) =>
        new(history[0].PayoutId, history.Select(e => ReceivedMessages.From(e)));

    private static async Task<ServiceBusSessionReceiver> WaitForeverAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new InvalidOperationException("Unreachable: the delay only ends by cancellation.");
    }

    private static async Task CommitAsync(InMemoryPayoutStore store, IEnumerable<PayoutEvent> history)
    {
        Payout? current = null;
        foreach (var change in history)
        {
            Assert.True(await store.TrySaveChangeAsync(change, current, TestContext.Current.CancellationToken));
            current = change.Payout;
        }
    }

    private static SubscriptionDrain Drain(params TestSessionReceiver[] sessions)
    {
        var client = new TestServiceBusClient();
        foreach (var session in sessions)
        {
            client.Sessions.Enqueue(session);
        }

        return new SubscriptionDrain(client);
    }

    /// <summary>A SubscriptionConsumer over the Service Bus adapter, with recording consumers on the in-memory store.</summary>
    private sealed class SubscriptionDrain(TestServiceBusClient client)
    {
        public TestServiceBusClient Client => client;

        public RecordingConsumer Payments { get; } = new(Subscriptions.Payments);

        public RecordingConsumer Notifications { get; } = new(Subscriptions.Notifications);

        public InMemoryPayoutStore Store { get; } = new(TimeProvider.System);

        public async Task<int> RunAsync(string subscription)
        {
            await using var topic = Topic(client);
            var delivery = new EventDelivery([Payments, Notifications], Store);
            var consumer = new SubscriptionConsumer(topic, delivery, NullLogger<SubscriptionConsumer>.Instance);
            return await consumer.DrainAsync(subscription, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        }
    }
}
