using System.ComponentModel.DataAnnotations;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Statements;

namespace PartnerBase.Functions.Statements;

public sealed record CreateStatementsRequest([property: Required] string? Period);

public sealed record CreateStatementsResponse(string Period, IReadOnlyList<StatementEntryResponse> Statements);

public sealed record StatementEntryResponse(string Id, string PartnerId, string Period, DateTime GeneratedAt);

/// <summary>A statement's JSON form (CONTRACT §10), the same figures as its PDF.</summary>
public sealed record StatementResponse(
    string Id,
    string OrgId,
    string Period,
    DateTime GeneratedAt,
    StatementPartnerResponse Partner,
    IReadOnlyList<StatementCurrencyResponse> Currencies);

public sealed record StatementPartnerResponse(string Id, string Name, string? Email);

public sealed record StatementCurrencyResponse(
    string Currency,
    IReadOnlyList<StatementPayoutResponse> Payouts,
    IReadOnlyList<StatementHeldResponse> Held,
    long CarriedForward,
    StatementTotalsResponse Totals);

public sealed record StatementPayoutResponse(
    string Id,
    PayoutStatus Status,
    long Amount,
    PayoutSource Source,
    DateTime? PaidAt,
    string? PaymentReference,
    IReadOnlyList<StatementLineResponse> Lines);

/// <summary>A commission line; a reversal is a negative line (negative attributed amount and commission).</summary>
public sealed record StatementLineResponse(string AttributionId, string DealId, DateTime ClosedAt, long AttributedAmount, int CommissionRateBps, long Commission);

public sealed record StatementHeldResponse(string AttributionId, string DealId, DateTime ClosedAt, long Commission, DateTime PayableFrom);

public sealed record StatementTotalsResponse(long Earned, long Paid, long Pending, long Failed);

public static class StatementMapping
{
    public static StatementEntryResponse ToResponse(this StatementEntry entry) =>
        new(entry.Id, entry.PartnerId, entry.Period.ToString(), entry.GeneratedAt.UtcDateTime);

    public static StatementResponse ToResponse(this Statement statement) => new(
        statement.Id,
        statement.OrgId,
        statement.Period.ToString(),
        statement.GeneratedAt.UtcDateTime,
        new StatementPartnerResponse(statement.Partner.Id, statement.Partner.Name, statement.Partner.Email),
        statement.Currencies.Select(c => new StatementCurrencyResponse(
            c.Currency.Code,
            c.Payouts.Select(p => new StatementPayoutResponse(
                p.Id, p.Status, p.Amount, p.Source, p.PaidAt?.UtcDateTime, p.PaymentReference,
                p.Lines.Select(l => new StatementLineResponse(l.AttributionId, l.DealId, l.ClosedAt.UtcDateTime, l.AttributedAmount, l.CommissionRateBps, l.Commission)).ToList())).ToList(),
            c.Held.Select(h => new StatementHeldResponse(h.AttributionId, h.DealId, h.ClosedAt.UtcDateTime, h.Commission, h.PayableFrom.UtcDateTime)).ToList(),
            c.CarriedForward,
            new StatementTotalsResponse(c.Totals.Earned, c.Totals.Paid, c.Totals.Pending, c.Totals.Failed))).ToList());
}
