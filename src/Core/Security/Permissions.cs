using System.Collections.Frozen;

namespace PartnerBase.Core.Security;

public enum Role
{
    Viewer,
    Manager,
    Approver,
    Finance,
    Admin,
    Partner,
}

/// <summary>
/// What each role may do (CONTRACT §2), named by the permission each function declares. The API enforces it and the
/// console (which compiles this assembly) shows only what it allows, so the two cannot disagree.
/// </summary>
public static class Permissions
{
    public const string Read = "read";
    public const string ReadOwnPayouts = "read-own-payouts";
    public const string ManagePayouts = "manage-payouts";
    public const string Approve = "approve";
    public const string Pay = "pay";
    public const string ManagePartners = "manage-partners";
    public const string Administer = "administer";
    public const string GenerateStatements = "generate-statements";
    public const string Reconcile = "reconcile";

    private static readonly FrozenDictionary<Role, string[]> Granted = new Dictionary<Role, string[]>
    {
        [Role.Viewer] = [Read, ReadOwnPayouts],
        [Role.Manager] = [Read, ReadOwnPayouts, ManagePayouts, ManagePartners, GenerateStatements],
        [Role.Approver] = [Read, ReadOwnPayouts, Approve],
        [Role.Finance] = [Read, ReadOwnPayouts, Pay, GenerateStatements, Reconcile],
        [Role.Admin] = [Read, ReadOwnPayouts, ManagePayouts, ManagePartners, Approve, Pay, Administer, GenerateStatements, Reconcile],
        [Role.Partner] = [ReadOwnPayouts],
    }.ToFrozenDictionary();

    public static bool Grant(IEnumerable<Role> roles, string permission) =>
        roles.Any(role => Granted[role].Contains(permission));

    /// <summary>The permission a payout action needs.</summary>
    public static string For(Payouts.PayoutAction action) => action switch
    {
        Payouts.PayoutAction.Create or Payouts.PayoutAction.Update or Payouts.PayoutAction.Delete => ManagePayouts,
        Payouts.PayoutAction.Approve or Payouts.PayoutAction.RecordApproval or Payouts.PayoutAction.Reject => Approve,
        Payouts.PayoutAction.MarkProcessing or Payouts.PayoutAction.MarkPaid or Payouts.PayoutAction.MarkFailed => Pay,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };
}
