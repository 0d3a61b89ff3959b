using System.Security.Claims;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Security;

namespace PartnerBase.Console.Access;

/// <summary>The signed-in user as the console sees it: the roles and partner of the token the API will check.</summary>
public sealed record SignedInUser(string Name, IReadOnlySet<Role> Roles, string? PartnerId)
{
    public static readonly SignedInUser Anonymous = new("", new HashSet<Role>(), null);

    /// <summary>A partner-only user: the portal, never the staff pages.</summary>
    public bool IsPartner => Roles.Count > 0 && Roles.All(role => role == Role.Partner);

    public bool IsStaff => Roles.Any(role => role != Role.Partner);

    public bool May(string permission) => Permissions.Grant(Roles, permission);

    /// <summary>
    /// The payout actions this user may take on a payout in this status: the roles of CONTRACT §2 and the transition
    /// table of §3, both read from PartnerBase.Core, which the API itself runs — so the console cannot offer what the
    /// API's table forbids. What only the API knows (separation of duties, dual approval, the payable gate) comes back
    /// as a problem whose detail the console shows.
    /// </summary>
    public IReadOnlyList<PayoutAction> ActionsOn(PayoutStatus status) =>
        [.. Offered.Where(action => May(Permissions.For(action)) && PayoutTransitions.TryGetTarget(status, action, out _))];

    private static readonly PayoutAction[] Offered =
    [
        PayoutAction.Approve, PayoutAction.Reject, PayoutAction.MarkProcessing, PayoutAction.MarkPaid,
        PayoutAction.MarkFailed, PayoutAction.Update, PayoutAction.Delete,
    ];

    public static SignedInUser From(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true)
        {
            return Anonymous;
        }

        var roles = principal.Claims
            .Where(claim => claim.Type is "roles" or "role")
            .Select(claim => Enum.TryParse<Role>(claim.Value, ignoreCase: true, out var role) ? role : (Role?)null)
            .OfType<Role>()
            .ToHashSet();
        var name = principal.FindFirst("name")?.Value ?? principal.FindFirst("sub")?.Value ?? "";
        return new SignedInUser(name, roles, principal.FindFirst("partner_id")?.Value);
    }
}
