using PartnerBase.Core.Payouts;

namespace PartnerBase.Core.Commissions;

/// <summary>
/// An organization's commission bookkeeping, one record per organization: the lease that serializes runs and
/// attribution changes, and the run under way (planned but not yet finished), which whoever holds the lease next
/// finishes after a crash.
/// </summary>
public sealed record CommissionState(string OrgId, string? LeaseOwner, DateTimeOffset LeaseUntil, PlannedRun? Pending, long Version)
{
    public static CommissionState Initial(string orgId) => new(orgId, null, DateTimeOffset.MinValue, null, 0);
}

/// <summary>
/// A run's decisions, made before any attribution is claimed: which payouts, under which ids, at which rates, and
/// the organization's rules in force when it was planned (holding period, approval policy), so that a run finished
/// after a crash settles and approves exactly what was planned.
/// </summary>
public sealed record PlannedRun(string RunId, Period Period, IReadOnlyList<PlannedPayout> Payouts, int HoldDays = 0, ApprovalPolicy? ApprovalPolicy = null);

public sealed record PlannedPayout(string PayoutId, string PartnerId, Currency Currency, int RateBps);
