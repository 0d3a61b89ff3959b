using PartnerBase.Functions.Events;

namespace PartnerBase.Functions.Notifications;

/// <summary>The <c>notifications</c> subscription (every event). The embedded default only logs what it would send.</summary>
public sealed partial class NotificationsConsumer(ILogger<NotificationsConsumer> logger) : IPayoutEventConsumer
{
    public string Name => "notifications";

    public bool Accepts(string eventType) => true;

    public Task HandleAsync(DeliveredEvent payoutEvent, CancellationToken cancellationToken)
    {
        LogEvent(payoutEvent.Type, payoutEvent.PayoutId, payoutEvent.PartnerId, payoutEvent.OrgId);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification: {Type} for payout {PayoutId} of partner {PartnerId} in {OrgId}")]
    private partial void LogEvent(string type, string payoutId, string? partnerId, string orgId);
}
