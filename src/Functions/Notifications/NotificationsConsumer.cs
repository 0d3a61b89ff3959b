using System.Collections.Frozen;
using System.Text.Json;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Payouts;

namespace PartnerBase.Functions.Notifications;

/// <summary>
/// The <c>notifications</c> subscription (every event): emails the partner when its payout is approved, paid or
/// failed, and the organization's approvers when a payout awaits approval or its second approval. One email per event and recipient, even
/// under redelivery: each successful send is recorded under its own dedupe key right away, and a delivery that
/// failed for any recipient throws, so the event comes again and reaches only those not yet sent to.
/// </summary>
public sealed partial class NotificationsConsumer(IPayoutStore store, IEmailSender sender, ILogger<NotificationsConsumer> logger) : IPayoutEventConsumer
{
    private static readonly FrozenDictionary<string, PayoutAction> ActionsByType =
        Enum.GetValues<PayoutAction>().ToFrozenDictionary(action => PayoutCloudEvents.TypePrefix + PayoutTransitions.EventType(action), StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Json = CreateJson();

    public string Name => Subscriptions.Notifications;

    /// <summary>The key of the record that says <paramref name="recipient"/> got the event's email.</summary>
    public static string RecipientKey(string recipient) => "notifications:" + recipient.Trim().ToLowerInvariant();

    public async Task HandleAsync(DeliveredEvent payoutEvent, CancellationToken cancellationToken)
    {
        if (!ActionsByType.TryGetValue(payoutEvent.Type, out var action) || !IsNotified(action))
        {
            return;
        }

        var change = payoutEvent.Data.Deserialize<PayoutEventData>(Json)
            ?? throw new JsonException($"Event {payoutEvent.Id} has no data.");
        if (action is PayoutAction.Create or PayoutAction.RecordApproval && !await AwaitsApprovalAsync(payoutEvent, action, cancellationToken))
        {
            LogNoLongerAwaitingApproval(payoutEvent.Type, payoutEvent.PayoutId, payoutEvent.OrgId);
            return;
        }

        var partner = await store.GetPartnerAsync(payoutEvent.OrgId, change.Payout.PartnerId, cancellationToken);
        IReadOnlyList<string> recipients = action switch
        {
            PayoutAction.Create => await ApproverEmailsAsync(payoutEvent.OrgId, cancellationToken),
            // The remaining approvers: everyone on the list but the one who gave the first approval (when the
            // token's subject is their address; a subject that is not an address cannot be matched to one).
            PayoutAction.RecordApproval => (await ApproverEmailsAsync(payoutEvent.OrgId, cancellationToken))
                .Where(email => !string.Equals(email.Trim(), change.Actor.Id, StringComparison.OrdinalIgnoreCase)).ToList(),
            _ => string.IsNullOrWhiteSpace(partner?.Email) ? [] : [partner.Email],
        };
        if (recipients.Count == 0)
        {
            LogNoRecipient(payoutEvent.Type, payoutEvent.PayoutId, payoutEvent.OrgId);
            return;
        }

        var notice = PayoutEmails.Compose(action, change, partner)
            ?? throw new InvalidOperationException($"No email text for {payoutEvent.Type}.");

        var failures = new List<Exception>();
        foreach (var recipient in recipients.Where(r => !string.IsNullOrWhiteSpace(r)).DistinctBy(RecipientKey))
        {
            var key = RecipientKey(recipient);
            if (await store.IsEventHandledAsync(payoutEvent.OrgId, key, payoutEvent.Id, cancellationToken))
            {
                continue;
            }

            try
            {
                await sender.SendAsync(new EmailMessage(recipient.Trim(), notice.Subject, notice.Body), cancellationToken);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The other recipients still get theirs; this one is tried again when the event comes again.
                LogSendFailed(exception, payoutEvent.Id, recipient);
                failures.Add(exception);
                continue;
            }

            await store.MarkEventHandledAsync(payoutEvent.OrgId, key, payoutEvent.Id, cancellationToken);
        }

        if (failures.Count > 0)
        {
            throw new AggregateException($"The notification of event {payoutEvent.Id} could not be sent to {failures.Count} recipient(s).", failures);
        }
    }

    private static bool IsNotified(PayoutAction action) =>
        action is PayoutAction.Create or PayoutAction.RecordApproval or PayoutAction.Approve or PayoutAction.MarkPaid or PayoutAction.MarkFailed;

    /// <summary>
    /// Approvers are asked for what the payout needs now (CONTRACT §6: act on the payout as it is, not on the message's
    /// copy): nothing once it was approved — by the system at creation, too —, rejected or deleted, and no second
    /// approval once an edit cleared the first.
    /// </summary>
    private async Task<bool> AwaitsApprovalAsync(DeliveredEvent payoutEvent, PayoutAction action, CancellationToken cancellationToken) =>
        await store.GetPayoutAsync(payoutEvent.OrgId, payoutEvent.PayoutId, cancellationToken) is { Status: PayoutStatus.PendingApproval } current
        && (action == PayoutAction.Create || current.Approvals.Count > 0);

    private async Task<IReadOnlyList<string>> ApproverEmailsAsync(string orgId, CancellationToken cancellationToken) =>
        (await store.GetOrganizationAsync(orgId, cancellationToken))?.ApproverEmails ?? [];

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ApiServices.ConfigureJson(options);
        return options;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Nobody is asked to approve payout {PayoutId} in {OrgId} on {Type}: it no longer awaits that approval")]
    private partial void LogNoLongerAwaitingApproval(string type, string payoutId, string orgId);

    [LoggerMessage(Level = LogLevel.Information, Message = "No one to notify of {Type} for payout {PayoutId} in {OrgId}")]
    private partial void LogNoRecipient(string type, string payoutId, string orgId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The notification of event {EventId} to {Recipient} failed")]
    private partial void LogSendFailed(Exception exception, string eventId, string recipient);
}
