using System.Security.Claims;
using PartnerBase.Core;
using PartnerBase.Core.Security;

namespace PartnerBase.Functions.Security;

/// <summary>
/// The authenticated caller, read from the validated token only: the organization comes from <c>org_id</c> and
/// nowhere else.
/// </summary>
public sealed record Caller(string OrgId, string UserId, IReadOnlySet<Role> Roles, string? PartnerId)
{
    public const string OrgIdClaim = "org_id";
    public const string SubjectClaim = "sub";
    public const string PartnerIdClaim = "partner_id";

    // Entra ID app roles arrive as "roles"; dotnet user-jwts writes "role". Either may repeat.
    private static readonly string[] RoleClaims = ["role", "roles"];

    public Actor Actor => Actor.User(UserId);

    /// <summary>Set when the caller sees only one partner's payouts (the <c>partner</c> role without a staff role).</summary>
    public string? PartnerScope => Roles.All(role => role == Role.Partner) ? PartnerId ?? "" : null;

    /// <summary>Whether the caller's roles grant the permission; a partner without a partner id reads nothing.</summary>
    public bool May(string permission) =>
        Permissions.Grant(Roles, permission) && (permission != Permissions.ReadOwnPayouts || PartnerScope is not "");

    public static Caller? From(ClaimsPrincipal user)
    {
        var orgId = user.FindFirst(OrgIdClaim)?.Value;
        var userId = user.FindFirst(SubjectClaim)?.Value;
        if (string.IsNullOrEmpty(orgId) || string.IsNullOrEmpty(userId))
        {
            return null;
        }

        var roles = user.Claims
            .Where(claim => RoleClaims.Contains(claim.Type))
            .Select(claim => Enum.TryParse<Role>(claim.Value, ignoreCase: true, out var role) ? role : (Role?)null)
            .OfType<Role>()
            .ToHashSet();
        return new Caller(orgId, userId, roles, user.FindFirst(PartnerIdClaim)?.Value);
    }

}

public static class CallerExtensions
{
    /// <summary>The caller that <see cref="Http.AuthenticationMiddleware"/> authenticated.</summary>
    public static Caller Caller(this HttpRequest request) =>
        request.HttpContext.Features.Get<Caller>() ?? throw new InvalidOperationException("Function reached without an authenticated caller.");
}
