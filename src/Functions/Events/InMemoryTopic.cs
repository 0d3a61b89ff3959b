using Azure.Messaging.ServiceBus;

namespace PartnerBase.Functions.Events;

/// <summary>
/// The embedded default's topic, with the Service Bus semantics the app relies on (so that the relay and the
/// consumers run unchanged on it): duplicate detection by <c>MessageId</c> within a window, the two subscriptions
/// with their filters (<see cref="Subscriptions"/>), sessions (one receiver at a time, messages in enqueue order), a
/// delivery count, and dead-lettering after <see cref="Subscriptions.MaxDeliveryCount"/> deliveries. A lock lost
/// (a session closed with messages neither completed nor abandoned) makes them available again. Hand-written: no
/// package serves an in-process Service Bus.
/// </summary>
public sealed class InMemoryTopic(TimeProvider timeProvider) : IEventTopic
{
    /// <summary>As the Bicep sets it; a re-send inside it is accepted and dropped.</summary>
    public static readonly TimeSpan DuplicateDetectionWindow = TimeSpan.FromHours(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly Queue<(DateTimeOffset At, string MessageId)> _seenOrder = new();
    private readonly List<ServiceBusMessage> _accepted = [];
    private readonly Dictionary<string, Subscription> _subscriptions = Subscriptions.All.ToDictionary(name => name, name => new Subscription(name));
    private long _sequence;

    /// <summary>Every message the topic took, in order (duplicates dropped).</summary>
    public IReadOnlyList<ServiceBusMessage> Accepted
    {
        get
        {
            lock (_gate)
            {
                return [.. _accepted];
            }
        }
    }

    /// <summary>The subscription's dead-letter queue.</summary>
    public IReadOnlyList<ServiceBusReceivedMessage> DeadLettered(string subscription)
    {
        lock (_gate)
        {
            return [.. _subscriptions[subscription].DeadLetters];
        }
    }

    /// <summary>Messages of the subscription not completed or dead-lettered yet.</summary>
    public int Pending(string subscription)
    {
        lock (_gate)
        {
            return _subscriptions[subscription].Sessions.Values.Sum(session => session.Messages.Count);
        }
    }

    public Task SendAsync(IReadOnlyList<ServiceBusMessage> messages, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        lock (_gate)
        {
            while (_seenOrder.TryPeek(out var oldest) && now - oldest.At > DuplicateDetectionWindow)
            {
                _seenOrder.Dequeue();
                _seen.Remove(oldest.MessageId);
            }

            foreach (var message in messages)
            {
                if (!_seen.TryAdd(message.MessageId, now))
                {
                    continue;
                }

                _seenOrder.Enqueue((now, message.MessageId));
                _accepted.Add(message);
                var sequence = ++_sequence;
                var eventType = message.ApplicationProperties.TryGetValue(PayoutMessages.EventTypeProperty, out var type) ? type as string ?? "" : "";
                foreach (var subscription in _subscriptions.Values.Where(s => Subscriptions.Takes(s.Name, eventType)))
                {
                    subscription.Enqueue(new Entry(message, sequence, now));
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task<IEventSession?> AcceptNextSessionAsync(string subscription, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var queue = _subscriptions[subscription].AcceptNext();
            return Task.FromResult<IEventSession?>(queue is null ? null : new Session(this, _subscriptions[subscription], queue));
        }
    }

    private sealed class Entry(ServiceBusMessage message, long sequence, DateTimeOffset enqueued)
    {
        public ServiceBusMessage Message { get; } = message;

        public long Sequence { get; } = sequence;

        public DateTimeOffset Enqueued { get; } = enqueued;

        public int DeliveryCount { get; set; }

        public Guid? LockToken { get; set; }
    }

    private sealed class SessionQueue(string id)
    {
        public string Id { get; } = id;

        public List<Entry> Messages { get; } = [];

        public bool Locked { get; set; }

        public bool Ready { get; set; }

        public bool HasAvailable => Messages.Any(m => m.LockToken is null);
    }

    private sealed class Subscription(string name)
    {
        public string Name { get; } = name;

        public Dictionary<string, SessionQueue> Sessions { get; } = new(StringComparer.Ordinal);

        public List<ServiceBusReceivedMessage> DeadLetters { get; } = [];

        // Sessions that may have available messages, oldest first: accepting one is O(1), not a scan of all sessions.
        private readonly Queue<SessionQueue> _ready = new();

        public void Enqueue(Entry entry)
        {
            var sessionId = entry.Message.SessionId ?? "";
            if (!Sessions.TryGetValue(sessionId, out var session))
            {
                Sessions[sessionId] = session = new SessionQueue(sessionId);
            }

            session.Messages.Add(entry);
            MarkReady(session);
        }

        public void MarkReady(SessionQueue session)
        {
            if (!session.Locked && !session.Ready && session.HasAvailable)
            {
                session.Ready = true;
                _ready.Enqueue(session);
            }
        }

        public SessionQueue? AcceptNext()
        {
            while (_ready.TryDequeue(out var session))
            {
                session.Ready = false;
                if (!session.Locked && session.HasAvailable)
                {
                    session.Locked = true;
                    return session;
                }
            }

            return null;
        }

        public void Remove(SessionQueue session, Entry entry)
        {
            session.Messages.Remove(entry);
            if (session.Messages.Count == 0 && !session.Locked)
            {
                Sessions.Remove(session.Id);
            }
        }
    }

    private sealed class Session(InMemoryTopic topic, Subscription subscription, SessionQueue queue) : IEventSession
    {
        public string SessionId => queue.Id;

        public Task<IReadOnlyList<ServiceBusReceivedMessage>> ReceiveAsync(int maxMessages, CancellationToken cancellationToken)
        {
            lock (topic._gate)
            {
                var received = new List<ServiceBusReceivedMessage>();
                foreach (var entry in queue.Messages.Where(m => m.LockToken is null).Take(maxMessages))
                {
                    entry.DeliveryCount++;
                    entry.LockToken = Guid.NewGuid();
                    received.Add(ToReceived(entry));
                }

                return Task.FromResult<IReadOnlyList<ServiceBusReceivedMessage>>(received);
            }
        }

        public Task CompleteAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken)
        {
            lock (topic._gate)
            {
                subscription.Remove(queue, Locked(message));
            }

            return Task.CompletedTask;
        }

        public Task AbandonAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken)
        {
            lock (topic._gate)
            {
                var entry = Locked(message);
                entry.LockToken = null;
                if (entry.DeliveryCount >= Subscriptions.MaxDeliveryCount)
                {
                    subscription.Remove(queue, entry);
                    subscription.DeadLetters.Add(ToReceived(entry));
                }
            }

            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            lock (topic._gate)
            {
                foreach (var entry in queue.Messages)
                {
                    entry.LockToken = null;
                }

                queue.Locked = false;
                if (queue.Messages.Count == 0)
                {
                    subscription.Sessions.Remove(queue.Id);
                }
                else
                {
                    subscription.MarkReady(queue);
                }
            }

            return ValueTask.CompletedTask;
        }

        private Entry Locked(ServiceBusReceivedMessage message) =>
            queue.Messages.SingleOrDefault(m => m.LockToken == message.LockTokenGuid())
            ?? throw new InvalidOperationException($"The lock on message {message.MessageId} was lost or it was settled already.");

        private static ServiceBusReceivedMessage ToReceived(Entry entry) => ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: entry.Message.Body,
            messageId: entry.Message.MessageId,
            sessionId: entry.Message.SessionId,
            correlationId: entry.Message.CorrelationId,
            subject: entry.Message.Subject,
            contentType: entry.Message.ContentType,
            properties: entry.Message.ApplicationProperties,
            lockTokenGuid: entry.LockToken ?? Guid.Empty,
            deliveryCount: entry.DeliveryCount,
            sequenceNumber: entry.Sequence,
            enqueuedTime: entry.Enqueued);
    }
}

internal static class ReceivedMessageExtensions
{
    public static Guid LockTokenGuid(this ServiceBusReceivedMessage message) => Guid.Parse(message.LockToken);
}
