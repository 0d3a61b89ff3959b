using System.Text.Json.Serialization;

namespace PartnerBase.Core.Commissions;

public enum AttributionStatus
{
    Won,
    Reversed,
}

/// <summary>Where an attribution stands for commission runs.</summary>
public enum AttributionState
{
    /// <summary>Won and not yet settled: a positive line in a run for a period it closed in or before.</summary>
    Open,

    /// <summary>Settled into a payout.</summary>
    Settled,

    /// <summary>Reversed after it was settled: a negative line (the same commission) in the partner's next run.</summary>
    ReversalPending,

    /// <summary>Reversed after its reversal was settled: done.</summary>
    ReversalSettled,

    /// <summary>Reversed before it was ever settled: never paid.</summary>
    Void,
}

/// <summary>
/// A line's settlement: the payout it went into, the commission it contributed (negative for a reversal) and the rate
/// it was computed at (null in settlements recorded before rates were kept).
/// </summary>
public sealed record Settlement(string PayoutId, long Commission, int? RateBps = null);

/// <summary>A partner's share of a deal (CONTRACT §5), settled into at most one payout, ever.</summary>
public sealed record Attribution(
    string Id,
    string OrgId,
    string PartnerId,
    string DealId,
    Money AttributedAmount,
    DateTimeOffset ClosedAt,
    AttributionStatus Status,
    Settlement? Settlement,
    Settlement? ReversalSettlement,
    DateTimeOffset UpdatedAt,
    long Version)
{
    [JsonIgnore]
    public AttributionState State => (Status, Settlement, ReversalSettlement) switch
    {
        (AttributionStatus.Won, null, _) => AttributionState.Open,
        (AttributionStatus.Won, _, _) => AttributionState.Settled,
        (AttributionStatus.Reversed, null, _) => AttributionState.Void,
        (AttributionStatus.Reversed, _, null) => AttributionState.ReversalPending,
        _ => AttributionState.ReversalSettled,
    };

    /// <summary>Whether this attribution is a line of a run for a period ending at <paramref name="periodEnd"/>.</summary>
    public bool IsDueBy(DateTimeOffset periodEnd) =>
        State == AttributionState.ReversalPending || (State == AttributionState.Open && ClosedAt < periodEnd);

    /// <summary>When a won attribution may first be settled: <paramref name="holdDays"/> after its deal closed (CONTRACT §8).</summary>
    public DateTimeOffset PayableFrom(int holdDays) => ClosedAt.AddDays(holdDays);

    /// <summary>
    /// Whether a due attribution is still in its holding period for a run of the period ending at
    /// <paramref name="periodEnd"/> (exclusive): it is settled by the first run whose period ends at or after its
    /// <see cref="PayableFrom"/> (CONTRACT §8: "closedAt + holdDays days is at or before the end of P").
    /// </summary>
    public bool IsHeldAt(DateTimeOffset periodEnd, int holdDays) => State == AttributionState.Open && PayableFrom(holdDays) > periodEnd;

    /// <summary>The same facts as <paramref name="other"/> (what a client may send), ignoring settlement and bookkeeping.</summary>
    public bool SameFactsAs(Attribution other) =>
        PartnerId == other.PartnerId && DealId == other.DealId && AttributedAmount == other.AttributedAmount
        && ClosedAt == other.ClosedAt && Status == other.Status;
}
