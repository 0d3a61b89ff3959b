using System.Collections.Frozen;

namespace PartnerBase.Functions.Security;

/// <summary>What each role may do (CONTRACT §2), named by the permission each function declares.</summary>
public static class Permissions
{
    public const string Read = "read";
    public const string ReadOwnPayouts = "read-own-payouts";
    public const string ManagePayouts = "manage-payouts";
    public const string Approve = "approve";
    public const string Pay = "pay";
    public const string ManagePartners = "manage-partners";
    public const string Administer = "administer";

    private static readonly FrozenDictionary<Role, string[]> Granted = new Dictionary<Role, string[]>
    {
        [Role.Viewer] = [Read, ReadOwnPayouts],
        [Role.Manager] = [Read, ReadOwnPayouts, ManagePayouts, ManagePartners],
        [Role.Approver] = [Read, ReadOwnPayouts, Approve],
        [Role.Finance] = [Read, ReadOwnPayouts, Pay],
        [Role.Admin] = [Read, ReadOwnPayouts, ManagePayouts, ManagePartners, Approve, Pay, Administer],
        [Role.Partner] = [ReadOwnPayouts],
    }.ToFrozenDictionary();

    public static bool Allows(Caller caller, string permission) =>
        caller.Roles.Any(role => Granted[role].Contains(permission))
        && (permission != ReadOwnPayouts || caller.PartnerScope is not "");
}
