using System.Diagnostics.CodeAnalysis;
using Azure.Messaging.ServiceBus;
using PartnerBase.Core.Payouts;
using PartnerBase.Functions.Events;

namespace PartnerBase.Functions.Tests.Events;

/// <summary>
/// A <see cref="ServiceBusClient"/> made the way the SDK's mocking guidance intends (protected constructor, virtual
/// members): it hands out one <see cref="TestSender"/> and, on AcceptNextSessionAsync, the queued sessions in turn,
/// then fails as the broker does when no session has messages.
/// </summary>
public sealed class TestServiceBusClient : ServiceBusClient
{
    public TestSender Sender { get; } = new();

    /// <summary>The entity names CreateSender was called with.</summary>
    public List<string> SenderEntities { get; } = [];

    public Queue<TestSessionReceiver> Sessions { get; } = new();

    /// <summary>The (topic, subscription) of each AcceptNextSessionAsync call.</summary>
    public List<(string Topic, string Subscription)> Accepts { get; } = [];

    /// <summary>Replaces the queue: what AcceptNextSessionAsync does instead.</summary>
    public Func<CancellationToken, Task<ServiceBusSessionReceiver>>? AcceptNext { get; set; }

    public override ServiceBusSender CreateSender(string queueOrTopicName)
    {
        SenderEntities.Add(queueOrTopicName);
        return Sender;
    }

    public override Task<ServiceBusSessionReceiver> AcceptNextSessionAsync(
        string topicName,
        string subscriptionName,
        ServiceBusSessionReceiverOptions? options = default,
        CancellationToken cancellationToken = default)
    {
        Accepts.Add((topicName, subscriptionName));
        if (AcceptNext is not null)
        {
            return AcceptNext(cancellationToken);
        }

        return Sessions.TryDequeue(out var session)
            ? Task.FromResult<ServiceBusSessionReceiver>(session)
            : Task.FromException<ServiceBusSessionReceiver>(new ServiceBusException("No session is available.", ServiceBusFailureReason.ServiceTimeout));
    }
}

/// <summary>
/// A <see cref="ServiceBusSender"/> whose batches come from <see cref="ServiceBusModelFactory.ServiceBusMessageBatch"/>:
/// <see cref="Fits"/> decides what a batch takes, and each batch sent is recorded as it was sent.
/// </summary>
public sealed class TestSender : ServiceBusSender
{
    private readonly List<(ServiceBusMessageBatch Batch, List<ServiceBusMessage> Messages)> _batches = [];

    /// <summary>Whether a batch holding the first messages takes the second one too; by default a batch takes anything.</summary>
    public Func<IReadOnlyList<ServiceBusMessage>, ServiceBusMessage, bool> Fits { get; set; } = (_, _) => true;

    /// <summary>The exception that send attempt n (1, 2, …) fails with; null: it succeeds.</summary>
    public Func<int, Exception?> FailAttempt { get; set; } = _ => null;

    public int SendAttempts { get; private set; }

    public List<IReadOnlyList<ServiceBusMessage>> SentBatches { get; } = [];

    public IEnumerable<ServiceBusMessage> Sent => SentBatches.SelectMany(batch => batch);

    public bool Disposed { get; private set; }

    /// <summary>A batch with room for <paramref name="count"/> messages.</summary>
    public static Func<IReadOnlyList<ServiceBusMessage>, ServiceBusMessage, bool> RoomFor(int count) =>
        (held, _) => held.Count < count;

    /// <summary>A batch with room for <paramref name="bytes"/> bytes of bodies.</summary>
    public static Func<IReadOnlyList<ServiceBusMessage>, ServiceBusMessage, bool> RoomForBytes(int bytes) =>
        (held, message) => held.Sum(m => m.Body.ToMemory().Length) + message.Body.ToMemory().Length <= bytes;

    public override ValueTask<ServiceBusMessageBatch> CreateMessageBatchAsync(CancellationToken cancellationToken = default)
    {
        var messages = new List<ServiceBusMessage>();
        var batch = ServiceBusModelFactory.ServiceBusMessageBatch(256 * 1024, messages, tryAddCallback: message => Fits(messages, message));
        _batches.Add((batch, messages));
        return ValueTask.FromResult(batch);
    }

    public override Task SendMessagesAsync(ServiceBusMessageBatch messageBatch, CancellationToken cancellationToken = default)
    {
        SendAttempts++;
        if (FailAttempt(SendAttempts) is { } failure)
        {
            return Task.FromException(failure);
        }

        SentBatches.Add(_batches.Single(b => ReferenceEquals(b.Batch, messageBatch)).Messages.ToList());
        return Task.CompletedTask;
    }

    [SuppressMessage("Usage", "CA2215:Dispose methods should call base class dispose", Justification = "The base closes an AMQP link that a double never opened (it throws).")]
    public override ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A locked session holding messages: receives hand them out in order, each at most once; completes and abandons are
/// logged in order, and settling a message this receiver did not hand out, or settling one twice, fails as a lost lock
/// would. An abandoned message is not handed out again by this receiver (the broker would do so on a later accept).
/// </summary>
public sealed class TestSessionReceiver(string sessionId, IEnumerable<ServiceBusReceivedMessage> messages) : ServiceBusSessionReceiver
{
    private readonly Queue<ServiceBusReceivedMessage> _pending = new(messages);
    private readonly HashSet<ServiceBusReceivedMessage> _locked = new(ReferenceEqualityComparer.Instance);

    public override string SessionId => sessionId;

    /// <summary>Each settlement in order: ("complete" | "abandon", message id).</summary>
    public List<(string Action, string MessageId)> Settlements { get; } = [];

    public IEnumerable<string> Completed => Settlements.Where(s => s.Action == "complete").Select(s => s.MessageId);

    public IEnumerable<string> Abandoned => Settlements.Where(s => s.Action == "abandon").Select(s => s.MessageId);

    public int Receives { get; private set; }

    public bool Disposed { get; private set; }

    public override Task<IReadOnlyList<ServiceBusReceivedMessage>> ReceiveMessagesAsync(int maxMessages, TimeSpan? maxWaitTime = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Receives++;
        var received = new List<ServiceBusReceivedMessage>();
        while (received.Count < maxMessages && _pending.TryDequeue(out var message))
        {
            _locked.Add(message);
            received.Add(message);
        }

        return Task.FromResult<IReadOnlyList<ServiceBusReceivedMessage>>(received);
    }

    public override Task CompleteMessageAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default) =>
        Settle("complete", message);

    public override Task AbandonMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify = null, CancellationToken cancellationToken = default) =>
        Settle("abandon", message);

    [SuppressMessage("Usage", "CA2215:Dispose methods should call base class dispose", Justification = "The base closes an AMQP link that a double never opened (it throws).")]
    public override ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }

    private Task Settle(string action, ServiceBusReceivedMessage message)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        if (!_locked.Remove(message))
        {
            return Task.FromException(new ServiceBusException($"Message {message.MessageId} is not locked by this receiver.", ServiceBusFailureReason.MessageLockLost));
        }

        Settlements.Add((action, message.MessageId));
        return Task.CompletedTask;
    }
}

/// <summary>Messages as a subscription delivers them.</summary>
public static class ReceivedMessages
{
    /// <summary>The message the topic delivers for a sent one: same body, ids and properties.</summary>
    public static ServiceBusReceivedMessage From(ServiceBusMessage sent, int deliveryCount = 1) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: sent.Body,
            messageId: sent.MessageId,
            sessionId: sent.SessionId,
            correlationId: sent.CorrelationId,
            subject: sent.Subject,
            contentType: sent.ContentType,
            properties: sent.ApplicationProperties,
            lockTokenGuid: Guid.NewGuid(),
            deliveryCount: deliveryCount,
            enqueuedTime: DateTimeOffset.UtcNow);

    /// <summary>The message the relay sends for a payout event, as the subscription delivers it.</summary>
    public static ServiceBusReceivedMessage From(PayoutEvent change, int deliveryCount = 1) =>
        From(PayoutMessages.ToMessage(change), deliveryCount);
}
