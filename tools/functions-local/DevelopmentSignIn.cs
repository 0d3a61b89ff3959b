using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PartnerBase.FunctionsLocal;

/// <summary>
/// Development sign-in for the console: a minimal OpenID Connect provider at <c>/.auth</c> (authorization code with
/// PKCE) whose sign-in form takes any user, organization and roles, and whose access token is the one
/// <c>dotnet user-jwts create</c> would issue, so the worker accepts it unchanged. Sessions live in memory.
/// </summary>
internal sealed class DevelopmentSignIn : IDisposable
{
    public const string ClientId = "partnerbase-console";

    private const string SessionCookie = "partnerbase-dev-session";
    private static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(8);
    private static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(2);
    private static readonly string[] KnownRoles = ["viewer", "manager", "approver", "finance", "admin", "partner"];
    private static readonly string[] DemoPartners = ["acme", "globex", "initech"];

    private readonly UserJwtsKey _accessKey;
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly string _keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    private readonly JsonWebTokenHandler _tokens = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Grant> _codes = new(StringComparer.Ordinal);

    public DevelopmentSignIn(UserJwtsKey accessKey) => _accessKey = accessKey;

    public void Dispose() => _rsa.Dispose();

    public void Map(WebApplication app)
    {
        var auth = app.MapGroup("/.auth");
        auth.MapGet("/.well-known/openid-configuration", context => Json(context, Discovery(Authority(context.Request))));
        auth.MapGet("/login", context => LoginForm(context, new SignInForm(context.Request.Query["returnUrl"].ToString()), []));
        auth.MapPost("/login", context => SignInAsync(context));
        auth.MapGet("/authorize", context => Authorize(context));
        auth.MapPost("/token", context => TokenAsync(context));
        auth.MapGet("/keys", context => Json(context, Keys()));
        auth.MapGet("/userinfo", context => UserInfoAsync(context));
        auth.MapGet("/logout", context => SignOut(context));
        auth.MapGet("/logout.js", context => Results.Text(LogoutScript, "text/javascript; charset=utf-8").ExecuteAsync(context));

        // A middleware rather than an endpoint: the console's own file has an endpoint per content encoding, and
        // content negotiation would prefer a compressed one over any endpoint of ours.
        app.Use(next => context =>
            HttpMethods.IsGet(context.Request.Method) && context.Request.Path.Equals("/appsettings.json", StringComparison.OrdinalIgnoreCase)
                ? ConsoleSettingsAsync(context)
                : next(context));
    }

    private static string Origin(HttpRequest request) => $"{request.Scheme}://{request.Host}";

    private static string Authority(HttpRequest request) => Origin(request) + "/.auth";

    private static JsonObject Discovery(string authority) => new()
    {
        ["issuer"] = authority,
        ["authorization_endpoint"] = authority + "/authorize",
        ["token_endpoint"] = authority + "/token",
        ["userinfo_endpoint"] = authority + "/userinfo",
        ["jwks_uri"] = authority + "/keys",
        ["end_session_endpoint"] = authority + "/logout",
        ["response_types_supported"] = new JsonArray("code"),
        ["subject_types_supported"] = new JsonArray("public"),
        ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
        ["code_challenge_methods_supported"] = new JsonArray("S256"),
        ["scopes_supported"] = new JsonArray("openid", "profile", "api"),
        ["grant_types_supported"] = new JsonArray("authorization_code"),
    };

    private JsonObject Keys()
    {
        var key = _rsa.ExportParameters(includePrivateParameters: false);
        return new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["alg"] = "RS256",
                ["kid"] = _keyId,
                ["n"] = Base64UrlEncoder.Encode(key.Modulus),
                ["e"] = Base64UrlEncoder.Encode(key.Exponent),
            }),
        };
    }

    private async Task SignInAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var input = new SignInForm(form["returnUrl"].ToString(), form["User"].ToString().Trim(), form["Organization"].ToString().Trim(), form["Roles"].ToString(), form["Partner"].ToString().Trim());
        var roles = input.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(role => role.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (input.User.Length == 0)
        {
            errors["User"] = "Enter a user name.";
        }

        if (input.Organization.Length == 0)
        {
            errors["Organization"] = "Enter an organization.";
        }

        if (roles.FirstOrDefault(role => !KnownRoles.Contains(role)) is { } unknown)
        {
            errors["Roles"] = $"'{unknown}' is not a role. Use {string.Join(", ", KnownRoles)}.";
        }
        else if (roles.Contains("partner") && input.Partner.Length == 0)
        {
            errors["Partner"] = "The partner role needs a partner.";
        }

        if (errors.Count > 0)
        {
            await LoginForm(context, input, errors, StatusCodes.Status400BadRequest);
            return;
        }

        var sessionId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var user = new SignedInUser(input.User, input.Organization, roles, input.Partner.Length == 0 ? null : input.Partner);
        _sessions[sessionId] = new Session(user, DateTimeOffset.UtcNow + SessionLifetime);
        context.Response.Cookies.Append(SessionCookie, sessionId, CookieOptions(context.Request));
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = IsLocalPath(input.ReturnUrl) ? input.ReturnUrl : "/";
    }

    private Task Authorize(HttpContext context)
    {
        var query = context.Request.Query;
        var redirectUri = query["redirect_uri"].ToString();
        var refusal =
            query["client_id"].ToString().Length == 0 ? "client_id is missing."
            : query["response_type"] != "code" ? "response_type must be code."
            : !IsSameOrigin(redirectUri, context.Request) ? "redirect_uri must be an address of this origin."
            : query["code_challenge"].ToString().Length == 0 || query["code_challenge_method"] != "S256" ? "PKCE is required: code_challenge with code_challenge_method S256."
            : null;
        if (refusal is not null)
        {
            return Page(context, "Sign-in refused", $"<h1>Sign-in refused</h1><p>{Html(refusal)}</p>", StatusCodes.Status400BadRequest);
        }

        var state = query["state"].ToString();
        if (CurrentSession(context.Request) is not { } session)
        {
            var target = query["prompt"] == "none"
                ? Callback(redirectUri, ("error", "login_required"), ("state", state))
                : QueryHelpers.AddQueryString("/.auth/login", "returnUrl", context.Request.Path + context.Request.QueryString);
            context.Response.Redirect(target);
            return Task.CompletedTask;
        }

        var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        _codes[code] = new Grant(
            session.User, query["client_id"].ToString(), redirectUri, query["code_challenge"].ToString(), NullIfEmpty(query["nonce"].ToString()),
            NullIfEmpty(query["scope"].ToString()) ?? "openid", DateTimeOffset.UtcNow + CodeLifetime);
        context.Response.Redirect(Callback(redirectUri, ("code", code), ("state", state)));
        return Task.CompletedTask;
    }

    private async Task TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        context.Response.Headers.CacheControl = "no-store";
        if (form["grant_type"] != "authorization_code")
        {
            await Json(context, new JsonObject { ["error"] = "unsupported_grant_type" }, StatusCodes.Status400BadRequest);
            return;
        }

        var verifier = form["code_verifier"].ToString();
        var clientId = form["client_id"].ToString();
        if (!_codes.TryRemove(form["code"].ToString(), out var grant)
            || grant.Expires < DateTimeOffset.UtcNow
            || (clientId.Length > 0 && clientId != grant.ClientId)
            || form["redirect_uri"] != grant.RedirectUri
            || verifier.Length == 0
            || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != grant.CodeChallenge)
        {
            await Json(context, new JsonObject { ["error"] = "invalid_grant" }, StatusCodes.Status400BadRequest);
            return;
        }

        var now = DateTime.UtcNow;
        await Json(context, new JsonObject
        {
            ["access_token"] = AccessToken(grant.User, now),
            ["token_type"] = "Bearer",
            ["expires_in"] = (int)SessionLifetime.TotalSeconds,
            ["id_token"] = IdToken(grant, Authority(context.Request), now),
            ["scope"] = grant.Scope,
        });
    }

    // The claims of `dotnet user-jwts create --name <user> --role … --claim org_id=… [--claim partner_id=…]`.
    private string AccessToken(SignedInUser user, DateTime now)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["unique_name"] = user.User,
            ["sub"] = user.User,
            ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)),
            ["org_id"] = user.Organization,
        };
        if (user.Roles.Count > 0)
        {
            claims["role"] = user.Roles.Count == 1 ? user.Roles[0] : user.Roles.ToArray();
        }

        if (user.Partner is not null)
        {
            claims["partner_id"] = user.Partner;
        }

        return _tokens.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _accessKey.TokenIssuer,
            Audience = _accessKey.Audience,
            Claims = claims,
            NotBefore = now,
            IssuedAt = now,
            Expires = now + SessionLifetime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(_accessKey.Secret), SecurityAlgorithms.HmacSha256),
        });
    }

    private string IdToken(Grant grant, string issuer, DateTime now)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["sub"] = grant.User.User,
            ["name"] = grant.User.User,
            ["roles"] = grant.User.Roles.ToArray(),
            ["org_id"] = grant.User.Organization,
        };
        if (grant.Nonce is not null)
        {
            claims["nonce"] = grant.Nonce;
        }

        if (grant.User.Partner is not null)
        {
            claims["partner_id"] = grant.User.Partner;
        }

        return _tokens.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = grant.ClientId,
            Claims = claims,
            IssuedAt = now,
            Expires = now + SessionLifetime,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(_rsa) { KeyId = _keyId }, SecurityAlgorithms.RsaSha256),
        });
    }

    private async Task UserInfoAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var result = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? await _tokens.ValidateTokenAsync(header["Bearer ".Length..].Trim(), new TokenValidationParameters
            {
                ValidIssuer = _accessKey.TokenIssuer,
                ValidAudience = _accessKey.Audience,
                IssuerSigningKey = new SymmetricSecurityKey(_accessKey.Secret),
            })
            : null;
        if (result is not { IsValid: true, SecurityToken: JsonWebToken token })
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var info = new JsonObject
        {
            ["sub"] = token.Subject,
            ["name"] = token.TryGetPayloadValue<string>("unique_name", out var name) ? name : token.Subject,
            ["roles"] = new JsonArray([.. token.Claims.Where(c => c.Type == "role").Select(c => (JsonNode)c.Value)]),
            ["org_id"] = token.TryGetPayloadValue<string>("org_id", out var org) ? org : null,
        };
        if (token.TryGetPayloadValue<string>("partner_id", out var partner))
        {
            info["partner_id"] = partner;
        }

        await Json(context, info);
    }

    private Task SignOut(HttpContext context)
    {
        if (context.Request.Cookies[SessionCookie] is { } sessionId)
        {
            _sessions.TryRemove(sessionId, out _);
        }

        context.Response.Cookies.Delete(SessionCookie, CookieOptions(context.Request));
        var redirect = context.Request.Query["post_logout_redirect_uri"].ToString();
        if (IsSameOrigin(redirect, context.Request))
        {
            context.Response.Redirect(redirect);
            return Task.CompletedTask;
        }

        return Page(context, "Signed out", """
            <h1>You are signed out</h1>
            <p><a href="/.auth/login">Sign in</a></p>
            <script src="/.auth/logout.js"></script>
            """);
    }

    // The console's oidc-client keeps the signed-in user in the browser's storage under oidc.* keys.
    private const string LogoutScript = """
        for (const storage of [window.sessionStorage, window.localStorage]) {
          for (const key of Object.keys(storage)) {
            if (key.startsWith('oidc.')) {
              storage.removeItem(key);
            }
          }
        }

        """;

    // The console's own settings, pointed at this provider and at the API of this origin.
    private static async Task ConsoleSettingsAsync(HttpContext context)
    {
        var file = context.RequestServices.GetRequiredService<IWebHostEnvironment>().WebRootFileProvider.GetFileInfo("appsettings.json");
        JsonObject settings = [];
        if (file.Exists)
        {
            await using var stream = file.CreateReadStream();
            settings = await JsonNode.ParseAsync(stream, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }, cancellationToken: context.RequestAborted) as JsonObject ?? [];
        }

        var oidc = settings["Oidc"] as JsonObject ?? [];
        oidc["Authority"] = Authority(context.Request);
        oidc["ClientId"] = ClientId;
        oidc["ResponseType"] = "code";
        settings["Oidc"] = oidc;
        var api = settings["Api"] as JsonObject ?? [];
        api["BaseUrl"] = "";
        api["Scopes"] = new JsonArray("api");
        settings["Api"] = api;
        context.Response.Headers.CacheControl = "no-cache";
        await Json(context, settings);
    }

    private static Task LoginForm(HttpContext context, SignInForm form, Dictionary<string, string> errors, int status = StatusCodes.Status200OK)
    {
        string Field(string name, string value, string? help)
        {
            var described = string.Join(' ', new[] { help is null ? null : $"{name}-help", errors.ContainsKey(name) ? $"{name}-error" : null }.OfType<string>());
            return $"""
                <div class="field">
                  <label for="{name}">{name}</label>
                  <input id="{name}" name="{name}" type="text" value="{Html(value)}"{(described.Length > 0 ? $" aria-describedby=\"{described}\"" : "")}{(errors.ContainsKey(name) ? " aria-invalid=\"true\"" : "")}>
                  {(help is null ? "" : $"<p class=\"help\" id=\"{name}-help\">{Html(help)}</p>")}
                  {(errors.TryGetValue(name, out var error) ? $"<p class=\"error\" id=\"{name}-error\">{Html(error)}</p>" : "")}
                </div>
                """;
        }

        var body = $"""
            <h1>Sign in (development)</h1>
            <p>Any user, organization and roles: this sign-in exists only in Development.</p>
            <form method="post" action="/.auth/login">
              <input type="hidden" name="returnUrl" value="{Html(form.ReturnUrl)}">
              {Field("User", form.User, null)}
              {Field("Organization", form.Organization, "The demo data is in organization demo.")}
              {Field("Roles", form.Roles, $"Comma-separated, e.g. manager,approver. Roles: {string.Join(", ", KnownRoles)}.")}
              {Field("Partner", form.Partner, $"Optional; for the partner role. Demo partners: {string.Join(", ", DemoPartners)}.")}
              <button type="submit">Sign in</button>
            </form>
            """;
        return Page(context, "Sign in", body, status);
    }

    private static Task Page(HttpContext context, string title, string body, int status = StatusCodes.Status200OK)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; style-src 'unsafe-inline'";
        var html = $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{Html(title)}} – PartnerBase</title>
            <style>
              body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.4; }
              .field { margin-bottom: 1rem; }
              label { display: block; font-weight: 600; }
              input[type=text] { box-sizing: border-box; width: 100%; padding: .5rem; font-size: 1rem; }
              .help { margin: .25rem 0 0; color: #444; font-size: .9rem; }
              .error { margin: .25rem 0 0; color: #a00; font-weight: 600; }
              button { padding: .6rem 1.2rem; font-size: 1rem; }
            </style>
            </head>
            <body>
            <main>
            {{body}}
            </main>
            </body>
            </html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status).ExecuteAsync(context);
    }

    private static Task Json(HttpContext context, JsonObject body, int status = StatusCodes.Status200OK) =>
        Results.Text(body.ToJsonString(), "application/json; charset=utf-8", Encoding.UTF8, status).ExecuteAsync(context);

    private Session? CurrentSession(HttpRequest request) =>
        request.Cookies[SessionCookie] is { } id && _sessions.TryGetValue(id, out var session) && session.Expires > DateTimeOffset.UtcNow
            ? session
            : null;

    private static CookieOptions CookieOptions(HttpRequest request) => new()
    {
        Path = "/.auth",
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = request.IsHttps,
        MaxAge = SessionLifetime,
    };

    private static string Callback(string redirectUri, params (string Name, string Value)[] parameters) =>
        QueryHelpers.AddQueryString(redirectUri, parameters.Where(p => p.Value.Length > 0).Select(p => KeyValuePair.Create(p.Name, (string?)p.Value)));

    private static bool IsLocalPath(string url) =>
        url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);

    private static bool IsSameOrigin(string url, HttpRequest request) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && string.Equals(uri.GetLeftPart(UriPartial.Authority), Origin(request), StringComparison.OrdinalIgnoreCase);

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static string Html(string text) => WebUtility.HtmlEncode(text);

    private sealed record SignedInUser(string User, string Organization, IReadOnlyList<string> Roles, string? Partner);

    private sealed record Session(SignedInUser User, DateTimeOffset Expires);

    private sealed record Grant(SignedInUser User, string ClientId, string RedirectUri, string CodeChallenge, string? Nonce, string Scope, DateTimeOffset Expires);

    private sealed record SignInForm(string ReturnUrl, string User = "", string Organization = "demo", string Roles = "", string Partner = "");
}
