using PartnerBase.Core.Payments;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;

namespace PartnerBase.Core.Reconciliation;

/// <summary>
/// Compares what the organization paid through the payment provider with the provider's own transfers (CONTRACT
/// §10). Payouts are "through the provider" when the system (automatic payments) moved them to processing or paid:
/// those paid by hand carry finance's own reference, which no provider knows.
/// <para>
/// A paid payout is matched by the transfer its payment reference names, found in one listing of the provider's
/// transfers around the window (a margin each side, as the transfer is made moments before the payout is recorded
/// paid) or, failing that, read by id; so a window costs O(transfers / page size) listing calls plus one read per
/// payout whose transfer lies outside the margin. A transfer made in the window that pays nothing of ours — no
/// payout, one paid by hand, or one whose payment names another transfer (a second payment) — is unknown.
/// </para>
/// </summary>
public sealed class Reconciler(IPayoutStore store, IPaymentGateway gateway, TimeProvider timeProvider)
{
    /// <summary>A payout still processing after this long is reported: its payment should have finished long before.</summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromDays(1);

    private static readonly TimeSpan Margin = TimeSpan.FromDays(1);

    public async Task<ReconciliationReport> ReconcileAsync(string id, string orgId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        var transfers = new Dictionary<string, ProviderTransfer>(StringComparer.Ordinal);
        await foreach (var transfer in gateway.ListTransfersAsync(orgId, from - Margin, to + Margin, cancellationToken))
        {
            transfers[transfer.Id] = transfer;
        }

        var issues = new List<ReconciliationIssue>();
        var accounted = new HashSet<string>(StringComparer.Ordinal);
        var matched = 0;
        await foreach (var payout in store.GetPaidPayoutsAsync(orgId, from, to, cancellationToken))
        {
            if (!ThroughProvider(payout))
            {
                continue;
            }

            var transferId = payout.PaymentReference!;
            var transfer = transfers.GetValueOrDefault(transferId) ?? await gateway.GetTransferAsync(orgId, transferId, cancellationToken);
            if (transfer is null)
            {
                issues.Add(new ReconciliationIssue(IssueKind.MissingTransfer, payout.Id, transferId));
                continue;
            }

            accounted.Add(transfer.Id);
            var found = Compare(payout, transfer).ToList();
            issues.AddRange(found);
            matched += found.Count == 0 ? 1 : 0;
        }

        // Processing at any time, not only in the window: a payout stuck since last week is stuck still.
        var byPayout = transfers.Values.Where(t => t.PayoutId is not null).ToLookup(t => t.PayoutId!, StringComparer.Ordinal);
        await foreach (var payout in store.GetPayoutsAsync(orgId, new PayoutFilter(new HashSet<PayoutStatus> { PayoutStatus.Processing }), cancellationToken: cancellationToken))
        {
            if (!ThroughProvider(payout))
            {
                continue;
            }

            var transfer = byPayout[payout.Id].FirstOrDefault();
            if (transfer is not null)
            {
                accounted.Add(transfer.Id);
            }

            if (payout.ProcessingAt is { } since && now - since > StuckAfter)
            {
                issues.Add(new ReconciliationIssue(IssueKind.StuckProcessing, payout.Id, transfer?.Id));
            }
        }

        foreach (var transfer in transfers.Values.Where(t => t.CreatedAt >= from && t.CreatedAt < to && !accounted.Contains(t.Id)).OrderBy(t => t.CreatedAt))
        {
            // Made in the window for a payout reconciled in another one (paid after the window's end) is fine.
            var payout = transfer.PayoutId is null ? null : await store.GetPayoutAsync(orgId, transfer.PayoutId, cancellationToken);
            var paysIt = payout is not null && ThroughProvider(payout)
                && (payout.Status == PayoutStatus.Processing || payout.PaymentReference == transfer.Id);
            if (!paysIt)
            {
                issues.Add(new ReconciliationIssue(IssueKind.UnknownTransfer, transfer.PayoutId, transfer.Id));
            }
        }

        return new ReconciliationReport(id, orgId, from, to, now, matched, issues);
    }

    /// <summary>In processing or paid by the system's automatic payment, so a provider transfer stands (or will) behind it.</summary>
    public static bool ThroughProvider(Payout payout) => payout.Status switch
    {
        PayoutStatus.Processing => payout.ProcessingBy == Actor.SystemId,
        PayoutStatus.Paid => payout.PaidBy == Actor.SystemId && payout.PaymentReference is not null,
        _ => false,
    };

    private static IEnumerable<ReconciliationIssue> Compare(Payout payout, ProviderTransfer transfer)
    {
        if (transfer.Currency != payout.Amount.Currency.Code)
        {
            yield return new ReconciliationIssue(IssueKind.CurrencyMismatch, payout.Id, transfer.Id, payout.Amount.Currency.Code, transfer.Currency);
        }
        else if (transfer.Amount != payout.Amount.MinorUnits)
        {
            yield return new ReconciliationIssue(
                IssueKind.AmountMismatch, payout.Id, transfer.Id, Invariant(payout.Amount.MinorUnits), Invariant(transfer.Amount));
        }

        if (transfer.Reversed)
        {
            yield return new ReconciliationIssue(IssueKind.ReversedTransfer, payout.Id, transfer.Id);
        }
    }

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
