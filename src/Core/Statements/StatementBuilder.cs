using System.Runtime.CompilerServices;
using PartnerBase.Core.Commissions;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;

namespace PartnerBase.Core.Statements;

/// <summary>
/// Computes the statements of a period (CONTRACT §10) from the store, one partner at a time. Reads the period's payouts
/// and the attributions still unsettled at the period's end once for the organization (what a commission run reads),
/// then each run payout's lines: O(the organization's period), memory O(its partners and held lines).
/// <para>
/// Generated after the period's run, <c>held</c> and <c>carriedForward</c> are exactly the run's answer: what the run
/// held or carried is what it left unsettled. Commission that arrived after the run (a late deal of the period, a
/// reversal) is not in any of the period's payouts either, so it shows as carried forward to the next run.
/// </para>
/// </summary>
public sealed class StatementBuilder(IPayoutStore store)
{
    public async IAsyncEnumerable<Statement> BuildAsync(
        string orgId, Period period, DateTimeOffset generatedAt, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var settings = await store.GetOrganizationAsync(orgId, cancellationToken) ?? OrganizationSettings.Default(orgId);
        var accounts = new Dictionary<string, Account>(StringComparer.Ordinal);
        Account AccountOf(string partnerId) => accounts.TryGetValue(partnerId, out var account) ? account : accounts[partnerId] = new Account();

        await foreach (var payout in store.GetPayoutsAsync(orgId, new PayoutFilter(Period: period), cancellationToken: cancellationToken))
        {
            AccountOf(payout.PartnerId).Payouts.Add(payout);
        }

        var partners = new Dictionary<string, Partner>(StringComparer.Ordinal);
        await foreach (var attribution in store.GetDueAttributionsAsync(orgId, period.End, cancellationToken))
        {
            var account = AccountOf(attribution.PartnerId);
            var currency = attribution.AttributedAmount.Currency;
            if (attribution.IsHeldAt(period.End, settings.HoldDays))
            {
                var rate = (await PartnerAsync(orgId, attribution.PartnerId, partners, cancellationToken))?.CommissionRateBps ?? 0;
                account.Held.Add((currency, new HeldLine(
                    attribution.Id, attribution.DealId, attribution.ClosedAt, Commission.Line(attribution.AttributedAmount.MinorUnits, rate), attribution.PayableFrom(settings.HoldDays))));
            }
            else
            {
                var rate = attribution.State == AttributionState.Open
                    ? (await PartnerAsync(orgId, attribution.PartnerId, partners, cancellationToken))?.CommissionRateBps ?? 0
                    : 0;
                var line = attribution.State == AttributionState.Open ? Commission.Line(attribution.AttributedAmount.MinorUnits, rate) : -attribution.Settlement!.Commission;
                account.CarriedForward[currency] = checked(account.CarriedForward.GetValueOrDefault(currency) + line);
            }
        }

        foreach (var partnerId in accounts.Keys.Order(StringComparer.Ordinal).ToList())
        {
            var partner = await PartnerAsync(orgId, partnerId, partners, cancellationToken);
            var account = accounts[partnerId];
            accounts.Remove(partnerId);
            var currencies = new List<StatementCurrency>();
            foreach (var currency in account.Currencies().OrderBy(c => c.Code, StringComparer.Ordinal))
            {
                var payouts = new List<StatementPayout>();
                foreach (var payout in account.Payouts.Where(p => p.Amount.Currency == currency).OrderBy(p => p.CreatedAt).ThenBy(p => p.Id, StringComparer.Ordinal))
                {
                    var lines = payout.Source == PayoutSource.CommissionRun ? await LinesAsync(orgId, payout.Id, partner, cancellationToken) : [];
                    payouts.Add(new StatementPayout(payout.Id, payout.Status, payout.Amount.MinorUnits, payout.Source, payout.PaidAt, payout.PaymentReference, lines));
                }

                var held = account.Held
                    .Where(h => h.Currency == currency)
                    .Select(h => h.Line)
                    .OrderBy(h => h.ClosedAt).ThenBy(h => h.AttributionId, StringComparer.Ordinal)
                    .ToList();
                currencies.Add(new StatementCurrency(currency, payouts, held, account.CarriedForward.GetValueOrDefault(currency), Totals(payouts)));
            }

            yield return new Statement(
                NewId(), orgId, period, generatedAt, new StatementPartner(partnerId, partner?.Name ?? partnerId, partner?.Email), currencies);
        }
    }

    public static string NewId() => PayoutService.NewId("st_");

    /// <summary>§10: paid, pending (pending approval, approved, processing) and failed payouts; rejected ones count in none.</summary>
    public static StatementTotals Totals(IEnumerable<StatementPayout> payouts)
    {
        long paid = 0, pending = 0, failed = 0;
        foreach (var payout in payouts)
        {
            switch (payout.Status)
            {
                case PayoutStatus.Paid:
                    paid = checked(paid + payout.Amount);
                    break;
                case PayoutStatus.PendingApproval or PayoutStatus.Approved or PayoutStatus.Processing:
                    pending = checked(pending + payout.Amount);
                    break;
                case PayoutStatus.Failed:
                    failed = checked(failed + payout.Amount);
                    break;
            }
        }

        return new StatementTotals(checked(paid + pending + failed), paid, pending, failed);
    }

    /// <summary>A run payout's lines, oldest deal first: each settlement into it, and each reversal settled into it as a negative line.</summary>
    private async Task<IReadOnlyList<StatementLine>> LinesAsync(string orgId, string payoutId, Partner? partner, CancellationToken cancellationToken)
    {
        var lines = new List<StatementLine>();
        await foreach (var attribution in store.GetSettledAttributionsAsync(orgId, payoutId, cancellationToken))
        {
            var amount = attribution.AttributedAmount.MinorUnits;
            if (attribution.Settlement?.PayoutId == payoutId)
            {
                lines.Add(Line(attribution, attribution.Settlement, amount));
            }

            if (attribution.ReversalSettlement?.PayoutId == payoutId)
            {
                lines.Add(Line(attribution, attribution.ReversalSettlement, -amount));
            }
        }

        return lines.OrderBy(l => l.ClosedAt).ThenBy(l => l.AttributionId, StringComparer.Ordinal).ThenByDescending(l => l.Commission).ToList();

        // Settlements made before rates were recorded show the partner's rate.
        StatementLine Line(Attribution attribution, Settlement settlement, long attributedAmount) => new(
            attribution.Id, attribution.DealId, attribution.ClosedAt, attributedAmount, settlement.RateBps ?? partner?.CommissionRateBps ?? 0, settlement.Commission);
    }

    private async Task<Partner?> PartnerAsync(string orgId, string partnerId, Dictionary<string, Partner> partners, CancellationToken cancellationToken)
    {
        if (!partners.TryGetValue(partnerId, out var partner) && (partner = await store.GetPartnerAsync(orgId, partnerId, cancellationToken)) is not null)
        {
            partners[partnerId] = partner;
        }

        return partner;
    }

    private sealed class Account
    {
        public List<Payout> Payouts { get; } = [];

        public List<(Currency Currency, HeldLine Line)> Held { get; } = [];

        public Dictionary<Currency, long> CarriedForward { get; } = [];

        public IEnumerable<Currency> Currencies() =>
            Payouts.Select(p => p.Amount.Currency).Concat(Held.Select(h => h.Currency)).Concat(CarriedForward.Keys).Distinct();
    }
}
