using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;

namespace PartnerBase.Core.Payments;

/// <summary>
/// Automatic payment of an approved payout: processing → one transfer → paid or failed, as the system actor.
/// Every step may be interrupted and re-run (events are delivered at least once), and no step pays twice: the
/// transfer's idempotency key is the payout id and its attempt number (one attempt per entry into processing), so
/// a re-run after a crash finds the transfer it already made instead of making another.
/// </summary>
public sealed class PaymentService(IPayoutStore store, PayoutService payouts, IPaymentGateway gateway)
{
    public async Task PayAsync(string orgId, string payoutId, CancellationToken cancellationToken = default)
    {
        var settings = await store.GetOrganizationAsync(orgId, cancellationToken);
        var payout = await store.GetPayoutAsync(orgId, payoutId, cancellationToken);
        if (settings?.AutomaticPayments != true || payout is null)
        {
            return;
        }

        var account = (await store.GetPartnerAsync(orgId, payout.PartnerId, cancellationToken))?.PayoutAccountId;
        if (account is null)
        {
            return;
        }

        if (payout.Status == PayoutStatus.Approved)
        {
            var processing = await payouts.ChangeAsync(orgId, payoutId, [payout.Version], (p, now) => p.MarkProcessing(Actor.System, now), cancellationToken);
            if (!processing.Succeeded)
            {
                // Someone else moved it first (finance by hand, or a concurrent delivery): go by what is stored now.
                payout = await store.GetPayoutAsync(orgId, payoutId, cancellationToken);
            }
            else
            {
                payout = processing.Value;
            }
        }

        if (payout?.Status != PayoutStatus.Processing)
        {
            return;
        }

        var history = await store.GetPayoutEventsAsync(orgId, payoutId, cancellationToken: cancellationToken);
        var attempt = history.Count(e => e.Action == PayoutAction.MarkProcessing);
        var transfer = await gateway.TransferAsync(new TransferRequest($"{payoutId}-attempt-{attempt}", account, payout.Amount, orgId, payoutId), cancellationToken);
        await payouts.ChangeAsync(
            orgId,
            payoutId,
            [payout.Version],
            (p, now) => transfer.Succeeded
                ? p.MarkPaid(Actor.System, transfer.TransferId, now)
                : p.MarkFailed(Actor.System, transfer.FailureCode, transfer.FailureMessage, now),
            cancellationToken);
    }
}
