namespace PartnerBase.Core.Organizations;

/// <summary>Per-organization settings (CONTRACT §5, §8). An organization that never saved any has the defaults.</summary>
/// <remarks>Fields added later default in the constructor, so settings stored before them read as the defaults.</remarks>
public sealed record OrganizationSettings(
    string OrgId,
    IReadOnlyDictionary<string, long> MinimumPayouts,
    bool AutomaticPayments,
    IReadOnlyList<string> ApproverEmails,
    long Version,
    bool RequireVerifiedTaxForm = false)
{
    public static OrganizationSettings Default(string orgId) => new(orgId, new Dictionary<string, long>(), false, [], 0);
}
