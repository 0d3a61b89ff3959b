using PartnerBase.Core.Payouts;

namespace PartnerBase.Core.Organizations;

/// <summary>Per-organization settings (CONTRACT §5, §8). An organization that never saved any has the defaults.</summary>
/// <remarks>Fields added later default (in the constructor or as init properties), so settings stored before them read as the defaults.</remarks>
public sealed record OrganizationSettings(
    string OrgId,
    IReadOnlyDictionary<string, long> MinimumPayouts,
    bool AutomaticPayments,
    IReadOnlyList<string> ApproverEmails,
    long Version,
    bool RequireVerifiedTaxForm = false)
{
    public const int MaxHoldDays = 365;

    public ApprovalPolicy ApprovalPolicy { get; init; } = ApprovalPolicy.Default;

    /// <summary>Days after its deal closed before a won attribution may be settled (the refund window).</summary>
    public int HoldDays { get; init; }

    /// <summary>Who is told of reconciliation issues (CONTRACT §10).</summary>
    public IReadOnlyList<string> FinanceEmails { get; init; } = [];

    public static OrganizationSettings Default(string orgId) => new(orgId, new Dictionary<string, long>(), false, [], 0);
}
