using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Components.WebAssembly.Authentication;
using Microsoft.AspNetCore.Components.WebAssembly.Authentication.Internal;

namespace PartnerBase.Console.Access;

/// <summary>Entra ID (and the development sign-in) put app roles in the id token as one JSON array; the console needs one claim per role.</summary>
public sealed class RolesClaimsPrincipalFactory(IAccessTokenProviderAccessor accessor) : AccountClaimsPrincipalFactory<RemoteUserAccount>(accessor)
{
    public override async ValueTask<ClaimsPrincipal> CreateUserAsync(RemoteUserAccount account, RemoteAuthenticationUserOptions options)
    {
        var user = await base.CreateUserAsync(account, options);
        if (user.Identity is not ClaimsIdentity identity || !identity.IsAuthenticated)
        {
            return user;
        }

        foreach (var name in new[] { "roles", "role" })
        {
            if (account.AdditionalProperties.TryGetValue(name, out var value) && value is JsonElement { ValueKind: JsonValueKind.Array } roles)
            {
                foreach (var existing in identity.FindAll(name).ToList())
                {
                    identity.RemoveClaim(existing);
                }

                foreach (var role in roles.EnumerateArray())
                {
                    identity.AddClaim(new Claim(options.RoleClaim ?? "roles", role.GetString() ?? ""));
                }
            }
        }

        return user;
    }
}
