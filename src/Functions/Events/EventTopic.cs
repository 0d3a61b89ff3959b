using Azure.Messaging.ServiceBus;

namespace PartnerBase.Functions.Events;

/// <summary>
/// The topic payout events travel through (CONTRACT §6): Service Bus in Azure, <see cref="InMemoryTopic"/> on the
/// embedded default. Phrased in the Service Bus SDK's own message types, so that the relay and the consumers are the
/// same code over both.
/// </summary>
public interface IEventTopic
{
    /// <summary>Sends the messages in order, in batches; throws if a batch cannot be sent (earlier batches stay sent).</summary>
    Task SendAsync(IReadOnlyList<ServiceBusMessage> messages, CancellationToken cancellationToken);

    /// <summary>Locks the next session of the subscription that has messages; null when there is none.</summary>
    Task<IEventSession?> AcceptNextSessionAsync(string subscription, CancellationToken cancellationToken);
}

/// <summary>One locked session: its messages in order, each completed or abandoned (delivered again, up to the subscription's maxDeliveryCount).</summary>
public interface IEventSession : IAsyncDisposable
{
    string SessionId { get; }

    /// <summary>The next messages, in order; empty when the session has none left (for now).</summary>
    Task<IReadOnlyList<ServiceBusReceivedMessage>> ReceiveAsync(int maxMessages, CancellationToken cancellationToken);

    Task CompleteAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken);

    Task AbandonAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken);
}

/// <summary>The topic and its subscriptions as CONTRACT §6 and the Bicep (infra/bicep/modules/servicebus.bicep) define them.</summary>
public static class Subscriptions
{
    public const string Payments = "payments";
    public const string Notifications = "notifications";
    public const string Webhooks = "webhooks";
    public const int MaxDeliveryCount = 10;

    /// <summary>The payments subscription's SQL filter: <c>eventType IN ('…approved', '…processing')</c>.</summary>
    public static bool Takes(string subscription, string eventType) => subscription switch
    {
        Payments => eventType is PayoutCloudEvents.TypePrefix + "payout.approved" or PayoutCloudEvents.TypePrefix + "payout.processing",
        Notifications or Webhooks => true,
        _ => throw new ArgumentOutOfRangeException(nameof(subscription), subscription, "No such subscription."),
    };

    public static IReadOnlyList<string> All { get; } = [Payments, Notifications, Webhooks];
}
