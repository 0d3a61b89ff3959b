using System.Diagnostics;
using System.Text.Json;
using Azure.Messaging.ServiceBus;

namespace PartnerBase.Functions.Events;

/// <summary>
/// Drains one subscription of the topic for a consumer function: accepts the next session, hands its messages in
/// order to the subscription's consumer, completes each on success and abandons it on failure (the broker delivers
/// it again, and dead-letters it after <see cref="Subscriptions.MaxDeliveryCount"/>), then the next session, within
/// a time budget. <see cref="HandleAsync"/> is the per-message step a <c>ServiceBusTrigger</c> would call directly.
/// </summary>
public sealed partial class SubscriptionConsumer(IEventTopic topic, EventDelivery delivery, ILogger<SubscriptionConsumer> logger)
{
    private const int ReceiveBatch = 20;

    /// <summary>Handles one message for the subscription's consumer; throws when the consumer failed (to abandon it).</summary>
    public Task<DeliveryOutcome> HandleAsync(string subscription, ServiceBusReceivedMessage message, CancellationToken cancellationToken)
    {
        DeliveredEvent payoutEvent;
        try
        {
            payoutEvent = PayoutMessages.ToEvent(message);
        }
        catch (Exception exception) when (exception is ArgumentException or JsonException or FormatException)
        {
            // Redelivery cannot make it a payout event; abandoning it takes it to the dead-letter queue in the end.
            throw new InvalidOperationException($"Message {message.MessageId} is not a payout event: {exception.Message}", exception);
        }

        return delivery.DeliverAsync(subscription, payoutEvent, cancellationToken);
    }

    /// <summary>Drains sessions until none has messages or the budget is spent; returns how many messages were completed.</summary>
    public async Task<int> DrainAsync(string subscription, TimeSpan budget, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var completed = 0;
        var visited = new HashSet<string>(StringComparer.Ordinal);
        // A session whose message failed stays locked until the run ends, so that the broker hands out the others
        // rather than the same one again; its message comes back in a later run.
        var failed = new List<IEventSession>();
        try
        {
            while (clock.Elapsed < budget && await topic.AcceptNextSessionAsync(subscription, cancellationToken) is { } session)
            {
                if (!visited.Add(session.SessionId))
                {
                    await session.DisposeAsync();
                    continue;
                }

                var (handled, ok) = await DrainSessionAsync(subscription, session, clock, budget, cancellationToken);
                completed += handled;
                if (ok)
                {
                    await session.DisposeAsync();
                }
                else
                {
                    failed.Add(session);
                }
            }
        }
        finally
        {
            foreach (var session in failed)
            {
                await session.DisposeAsync();
            }
        }

        return completed;
    }

    private async Task<(int Completed, bool Ok)> DrainSessionAsync(string subscription, IEventSession session, Stopwatch clock, TimeSpan budget, CancellationToken cancellationToken)
    {
        var completed = 0;
        while (clock.Elapsed < budget)
        {
            var messages = await session.ReceiveAsync(ReceiveBatch, cancellationToken);
            if (messages.Count == 0)
            {
                return (completed, true);
            }

            for (var i = 0; i < messages.Count; i++)
            {
                try
                {
                    await HandleAsync(subscription, messages[i], cancellationToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogFailed(logger, exception, subscription, messages[i].MessageId, messages[i].SessionId, messages[i].DeliveryCount);
                    // It goes back; the ones after it are released with the session, so the session's order holds.
                    // (Released unsettled, they count a delivery too, as in Service Bus: a session's messages are few.)
                    await session.AbandonAsync(messages[i], cancellationToken);
                    return (completed, false);
                }

                await session.CompleteAsync(messages[i], cancellationToken);
                completed++;
            }
        }

        return (completed, true);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Subscription}: message {MessageId} of session {SessionId} failed on delivery {DeliveryCount}; abandoned for redelivery")]
    private static partial void LogFailed(ILogger logger, Exception exception, string subscription, string messageId, string sessionId, int deliveryCount);
}
