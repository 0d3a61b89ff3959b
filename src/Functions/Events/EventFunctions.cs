namespace PartnerBase.Functions.Events;

/// <summary>
/// The event flow's functions (CONTRACT §7): timers because the worker's Service Bus and Cosmos DB trigger extensions
/// are not available to this build. Each body is what a trigger-bound function would run too.
/// </summary>
public sealed class EventFunctions(EventRelay relay, SubscriptionConsumer consumer)
{
    // A run ends well before the next is due (every 1–5 s): a singleton timer skips an occurrence while it runs.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    [Function(nameof(PublishPayoutEvents))]
    public Task PublishPayoutEvents([TimerTrigger("%EventRelaySchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        relay.RelayAsync(cancellationToken);

    [Function(nameof(ProcessPayments))]
    public Task ProcessPayments([TimerTrigger("%PaymentsSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        consumer.DrainAsync(Subscriptions.Payments, Budget, cancellationToken);

    [Function(nameof(SendNotifications))]
    public Task SendNotifications([TimerTrigger("%NotificationsSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        consumer.DrainAsync(Subscriptions.Notifications, Budget, cancellationToken);
}
