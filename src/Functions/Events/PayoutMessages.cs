using Azure.Messaging.ServiceBus;
using PartnerBase.Core.Payouts;

namespace PartnerBase.Functions.Events;

/// <summary>Payout events as Service Bus messages (CONTRACT §6), both ways; the one place that knows the message shape.</summary>
public static class PayoutMessages
{
    public const string EventTypeProperty = "eventType";
    public const string OrgIdProperty = "orgId";
    public const string PartnerIdProperty = "partnerId";

    public static ServiceBusMessage ToMessage(PayoutEvent change)
    {
        var type = PayoutCloudEvents.TypeOf(change);
        var message = new ServiceBusMessage(PayoutCloudEvents.Encode(PayoutCloudEvents.ToCloudEvent(change)))
        {
            // The topic's duplicate detection drops a re-send of the same event; one session per payout keeps its order.
            MessageId = change.Id,
            SessionId = change.PayoutId,
            CorrelationId = change.PayoutId,
            Subject = type,
            ContentType = PayoutCloudEvents.ContentType,
        };
        message.ApplicationProperties[EventTypeProperty] = type;
        message.ApplicationProperties[OrgIdProperty] = change.OrgId;
        message.ApplicationProperties[PartnerIdProperty] = change.Payout.PartnerId;
        return message;
    }

    /// <summary>The event a message carries; throws (ArgumentException, JsonException) when it is not a payout event.</summary>
    public static DeliveredEvent ToEvent(ServiceBusReceivedMessage message) => PayoutCloudEvents.Decode(message.Body.ToMemory());
}
