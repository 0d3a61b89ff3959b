using System.Text;
using PartnerBase.Core;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Functions.Payouts;

namespace PartnerBase.Functions.Notifications;

/// <summary>What a notification says: the same for every recipient of one event.</summary>
public sealed record PayoutNotice(string Subject, string Body);

/// <summary>The text of the payout notifications: each names the payout, the partner, the period and the amount.</summary>
public static class PayoutEmails
{
    /// <summary>The notice of a change, or null for changes nobody is told about.</summary>
    public static PayoutNotice? Compose(PayoutAction action, PayoutEventData change, Partner? partner)
    {
        var (headline, verb) = action switch
        {
            PayoutAction.Create => ("A new payout awaits your approval.", "awaits approval"),
            PayoutAction.RecordApproval => ("A payout has its first approval and awaits a second approver.", "awaits a second approval"),
            PayoutAction.Approve => ("Your payout has been approved.", "approved"),
            PayoutAction.MarkPaid => ("Your payout has been paid.", "paid"),
            PayoutAction.MarkFailed => ("Your payout could not be paid.", "failed"),
            _ => (null, null),
        };
        if (headline is null)
        {
            return null;
        }

        var payout = change.Payout;
        var amount = AmountFormat.Format(new Money(payout.Amount, Currency.Parse(payout.Currency)));
        var partnerName = partner?.Name ?? payout.PartnerId;
        var subject = OneLine($"Payout {payout.Id} for {partnerName} {verb}: {amount} for {payout.Period}");

        var body = new StringBuilder()
            .AppendLine(headline)
            .AppendLine()
            .AppendLine($"Payout: {payout.Id}")
            .AppendLine($"Partner: {partnerName} ({payout.PartnerId})")
            .AppendLine($"Period: {payout.Period}")
            .AppendLine($"Amount: {amount}");
        switch (action)
        {
            case PayoutAction.Create:
                body.AppendLine($"Created by: {change.Actor.Id}");
                break;
            case PayoutAction.RecordApproval:
                body.AppendLine($"First approval by: {change.Actor.Id}");
                break;
            case PayoutAction.Approve:
                body.AppendLine($"Approved by: {change.Actor.Id}");
                break;
            case PayoutAction.MarkPaid:
                body.AppendLine($"Payment reference: {payout.PaymentReference ?? "none"}");
                break;
            case PayoutAction.MarkFailed:
                body.AppendLine($"Failure code: {payout.FailureCode ?? "none"}")
                    .AppendLine($"Failure message: {payout.FailureMessage ?? "none"}");
                break;
        }

        return new PayoutNotice(subject, body.ToString());
    }

    // Partner names are user input; a subject is one header line.
    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
