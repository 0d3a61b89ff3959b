using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Events;

/// <summary>Code that acts on payout events: one per Service Bus subscription of the topic.</summary>
public interface IPayoutEventConsumer
{
    /// <summary>The subscription's name (<c>payments</c>, <c>notifications</c>); also what dedupe records are kept under.</summary>
    string Name { get; }

    Task HandleAsync(DeliveredEvent payoutEvent, CancellationToken cancellationToken);
}

public enum DeliveryOutcome
{
    Handled,
    AlreadyHandled,
    NotSubscribed,
}

/// <summary>
/// Delivers an event to one consumer at most once in effect: the topic delivers at least once, so a redelivery of an event the consumer already handled is skipped. A consumer that fails is not
/// marked, so the event comes again; a crash between handling and marking does too, which is why consumers are
/// idempotent themselves as well.
/// </summary>
public sealed class EventDelivery(IEnumerable<IPayoutEventConsumer> consumers, IPayoutStore store)
{
    public IReadOnlyList<IPayoutEventConsumer> Consumers { get; } = consumers.ToList();

    public async Task<DeliveryOutcome> DeliverAsync(string consumerName, DeliveredEvent payoutEvent, CancellationToken cancellationToken)
    {
        var consumer = Consumers.SingleOrDefault(c => c.Name == consumerName)
            ?? throw new InvalidOperationException($"No consumer is registered for subscription '{consumerName}'.");
        if (!Subscriptions.Takes(consumer.Name, payoutEvent.Type))
        {
            return DeliveryOutcome.NotSubscribed;
        }

        if (await store.IsEventHandledAsync(payoutEvent.OrgId, consumer.Name, payoutEvent.Id, cancellationToken))
        {
            return DeliveryOutcome.AlreadyHandled;
        }

        await consumer.HandleAsync(payoutEvent, cancellationToken);
        await store.MarkEventHandledAsync(payoutEvent.OrgId, consumer.Name, payoutEvent.Id, cancellationToken);
        return DeliveryOutcome.Handled;
    }
}
