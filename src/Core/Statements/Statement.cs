using PartnerBase.Core.Payouts;

namespace PartnerBase.Core.Statements;

/// <summary>
/// One partner's account of one period (CONTRACT §10): the period's payouts with the commission lines they sum, the
/// commission still held, what the period's run carried forward, and the totals. Amounts are minor units of the
/// currency they are listed under.
/// </summary>
public sealed record Statement(
    string Id,
    string OrgId,
    Period Period,
    DateTimeOffset GeneratedAt,
    StatementPartner Partner,
    IReadOnlyList<StatementCurrency> Currencies);

public sealed record StatementPartner(string Id, string Name, string? Email);

public sealed record StatementCurrency(
    Currency Currency,
    IReadOnlyList<StatementPayout> Payouts,
    IReadOnlyList<HeldLine> Held,
    long CarriedForward,
    StatementTotals Totals);

public sealed record StatementPayout(
    string Id,
    PayoutStatus Status,
    long Amount,
    PayoutSource Source,
    DateTimeOffset? PaidAt,
    string? PaymentReference,
    IReadOnlyList<StatementLine> Lines);

/// <summary>A commission line of a run's payout; a reversal is a negative line.</summary>
public sealed record StatementLine(
    string AttributionId,
    string DealId,
    DateTimeOffset ClosedAt,
    long AttributedAmount,
    int CommissionRateBps,
    long Commission);

/// <summary>Commission of the period still in its holding period when the statement was generated.</summary>
public sealed record HeldLine(string AttributionId, string DealId, DateTimeOffset ClosedAt, long Commission, DateTimeOffset PayableFrom);

/// <summary><c>Paid</c>: paid payouts; <c>Pending</c>: pending approval, approved or processing; <c>Failed</c>: failed; <c>Earned</c>: their sum.</summary>
public sealed record StatementTotals(long Earned, long Paid, long Pending, long Failed);

/// <summary>Where a partner's statement of a period is listed (its documents live in Blob Storage).</summary>
public sealed record StatementEntry(string Id, string OrgId, string PartnerId, Period Period, DateTimeOffset GeneratedAt);
