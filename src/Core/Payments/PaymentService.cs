using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;

namespace PartnerBase.Core.Payments;

/// <summary>What one automatic payment attempt did.</summary>
public enum PaymentOutcome
{
    /// <summary>Nothing to do: no automatic payments, no account, or the payout is past approved/processing.</summary>
    Skipped,

    /// <summary>The payable gate holds the partner's payouts back (tax form not verified); the payout is left as it is.</summary>
    PayeeNotPayable,

    /// <summary>A transfer was made (or found) and its result recorded as paid or failed.</summary>
    Transferred,
}

/// <summary>
/// Automatic payment of an approved payout: processing → one transfer → paid or failed, as the system actor.
/// Every step may be interrupted and re-run (events are delivered at least once), and no step pays twice: the
/// transfer's idempotency key is the payout id and its attempt number (one attempt per entry into processing), so
/// a re-run after a crash finds the transfer it already made instead of making another.
/// </summary>
public sealed class PaymentService(IPayoutStore store, PayoutService payouts, IPaymentGateway gateway)
{
    public async Task<PaymentOutcome> PayAsync(string orgId, string payoutId, CancellationToken cancellationToken = default)
    {
        var settings = await store.GetOrganizationAsync(orgId, cancellationToken);
        var payout = await store.GetPayoutAsync(orgId, payoutId, cancellationToken);
        if (settings?.AutomaticPayments != true || payout is null || payout.Status is not (PayoutStatus.Approved or PayoutStatus.Processing))
        {
            return PaymentOutcome.Skipped;
        }

        var partner = await store.GetPartnerAsync(orgId, payout.PartnerId, cancellationToken);
        var account = partner?.PayoutAccountId;
        if (account is null)
        {
            return PaymentOutcome.Skipped;
        }

        // Also for a payout already processing: no transfer to a partner the gate holds back.
        if (PayableGate.BlocksPayment(partner!, settings))
        {
            return PaymentOutcome.PayeeNotPayable;
        }

        if (payout.Status == PayoutStatus.Approved)
        {
            var processing = await payouts.MarkProcessingAsync(orgId, payoutId, [payout.Version], Actor.System, cancellationToken);
            if (processing.Failure?.Code == FailureCode.PayeeNotPayable)
            {
                return PaymentOutcome.PayeeNotPayable;
            }

            // Not moved: someone else moved it first (finance by hand, or a concurrent delivery); go by what is stored now.
            payout = processing.Succeeded ? processing.Value : await store.GetPayoutAsync(orgId, payoutId, cancellationToken);
        }

        if (payout?.Status != PayoutStatus.Processing)
        {
            return PaymentOutcome.Skipped;
        }

        var history = await store.GetPayoutEventsAsync(orgId, payoutId, cancellationToken: cancellationToken);
        var attempt = history.Count(e => e.Action == PayoutAction.MarkProcessing);
        var transfer = await gateway.TransferAsync(new TransferRequest($"{payoutId}-attempt-{attempt}", account, payout.Amount, orgId, payoutId), cancellationToken);

        // The transfer has happened: its result is recorded whatever the gate says by now.
        await payouts.ChangeAsync(
            orgId,
            payoutId,
            [payout.Version],
            (p, now) => transfer.Succeeded
                ? p.MarkPaid(Actor.System, transfer.TransferId, now)
                : p.MarkFailed(Actor.System, transfer.FailureCode, transfer.FailureMessage, now),
            cancellationToken);
        return PaymentOutcome.Transferred;
    }
}
