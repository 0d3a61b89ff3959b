namespace PartnerBase.Core.Organizations;

/// <summary>Per-organization settings (CONTRACT §5). An organization that never saved any has the defaults.</summary>
public sealed record OrganizationSettings(
    string OrgId,
    IReadOnlyDictionary<string, long> MinimumPayouts,
    bool AutomaticPayments,
    IReadOnlyList<string> ApproverEmails,
    long Version)
{
    public static OrganizationSettings Default(string orgId) => new(orgId, new Dictionary<string, long>(), false, [], 0);
}
