namespace PartnerBase.Core.Payouts;

/// <summary>
/// An organization's approval rules (CONTRACT §8), each a map from currency code to an amount in minor units:
/// payouts at or above <see cref="DualApprovalAtOrAbove"/> need two approvers; commission-run payouts below
/// <see cref="AutoApproveBelow"/> are approved by the system when created.
/// </summary>
public sealed record ApprovalPolicy(IReadOnlyDictionary<string, long> DualApprovalAtOrAbove, IReadOnlyDictionary<string, long> AutoApproveBelow)
{
    /// <summary>No thresholds: one approval, never automatic.</summary>
    public static ApprovalPolicy Default { get; } = new(new Dictionary<string, long>(), new Dictionary<string, long>());

    public int RequiredApprovals(Money amount) =>
        DualApprovalAtOrAbove.TryGetValue(amount.Currency.Code, out var threshold) && amount.MinorUnits >= threshold ? 2 : 1;

    /// <summary>
    /// Whether a commission-run payout of <paramref name="amount"/> is approved at creation. Dual approval wins
    /// where the two thresholds overlap: an amount that needs two people is never approved by nobody.
    /// </summary>
    public bool ApprovesAutomatically(Money amount) =>
        AutoApproveBelow.TryGetValue(amount.Currency.Code, out var threshold) && amount.MinorUnits < threshold && RequiredApprovals(amount) == 1;
}

/// <summary>One recorded approval of a payout.</summary>
public sealed record PayoutApproval(string By, DateTimeOffset At);
