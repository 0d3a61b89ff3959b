using System.Text.Json;
using static PartnerBase.Functions.Tests.Hosting.FunctionAppFiles;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// src/Console/wwwroot/staticwebapp.config.json: the console's Static Web App sends client-side routes to index.html
/// but never its assets, and answers with headers that confine the page — a Content-Security-Policy that runs only
/// the site's own scripts (Blazor WebAssembly needs 'wasm-unsafe-eval', never 'unsafe-eval' or inline scripts) and
/// talks only to itself, the API and Entra ID.
/// </summary>
public sealed class StaticWebAppConfigTests
{
    private const string EntraId = "https://login.microsoftonline.com";

    private static readonly string ConsoleWebRoot = Path.Combine(RepoRoot, "src", "Console", "wwwroot");

    private static readonly JsonElement Config = Read(Path.Combine(ConsoleWebRoot, "staticwebapp.config.json"));

    [Fact]
    public void NavigationFallback_ClientRoutes_RewriteToIndexButAssetsDoNot()
    {
        var fallback = Config.GetProperty("navigationFallback");
        Assert.Equal("/index.html", fallback.GetProperty("rewrite").GetString());

        var exclude = fallback.GetProperty("exclude").EnumerateArray().Select(e => e.GetString()!).ToList();
        // A missing assembly must be a 404, not index.html served as application/wasm.
        Assert.Contains("/_framework/*", exclude);
        Assert.Contains("/_content/*", exclude);
        Assert.Contains("/css/*", exclude);
        var extensions = Assert.Single(exclude, e => e.StartsWith("*.{", StringComparison.Ordinal));
        Assert.All(new[] { "css", "js", "wasm", "dat", "json" }, extension => Assert.Contains(extension, extensions[3..^1].Split(','), StringComparer.Ordinal));
    }

    [Fact]
    public void GlobalHeaders_Basics_NoSniffReferrerPolicyAndNoFramingByOthers()
    {
        var headers = Headers();

        Assert.Equal("nosniff", headers["X-Content-Type-Options"]);
        Assert.Contains(headers["Referrer-Policy"], new[] { "strict-origin-when-cross-origin", "no-referrer", "same-origin", "strict-origin" });
        // Only the site itself may frame it: the OIDC silent sign-in loads the console's own callback in a hidden
        // iframe, so 'self' stays allowed.
        Assert.Contains(headers["X-Frame-Options"], new[] { "DENY", "SAMEORIGIN" });
        Assert.Contains(Directive(Csp(), "frame-ancestors").Single(), new[] { "'self'", "'none'" });
    }

    [Fact]
    public void ContentSecurityPolicy_Scripts_OnlyTheSitesOwnWithWebAssembly()
    {
        var csp = Csp();
        var scripts = Directive(csp, "script-src");

        Assert.Contains("'self'", scripts);
        Assert.Contains("'wasm-unsafe-eval'", scripts);
        Assert.DoesNotContain("'unsafe-inline'", scripts);
        Assert.DoesNotContain("'unsafe-eval'", scripts);
        Assert.DoesNotContain(scripts, source => source is "*" or "data:" or "blob:" or "https:" or "http:");
        Assert.Equal(["'self'"], Directive(csp, "default-src"));
        Assert.Equal(["'none'"], Directive(csp, "object-src"));
        Assert.Equal(["'self'"], Directive(csp, "base-uri"));
    }

    [Fact]
    public void ContentSecurityPolicy_Connections_TheSiteTheApiAndEntraId()
    {
        var csp = Csp();
        var connect = Directive(csp, "connect-src");
        var frames = Directive(csp, "frame-src");

        Assert.Contains("'self'", connect);
        Assert.Contains(EntraId, connect);
        Assert.DoesNotContain(connect, source => source is "*" or "https:" or "http:");
        Assert.Contains("'self'", frames);
        Assert.Contains(EntraId, frames);

        // The CSP is static: a cross-origin API in appsettings.json needs its origin here too (infra/README.md).
        var baseUrl = Read(Path.Combine(ConsoleWebRoot, "appsettings.json")).GetProperty("Api").GetProperty("BaseUrl").GetString();
        if (Uri.TryCreate(baseUrl, UriKind.Absolute, out var api))
        {
            Assert.Contains(api.GetLeftPart(UriPartial.Authority), connect);
        }
    }

    private static Dictionary<string, string> Headers() =>
        Config.GetProperty("globalHeaders").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.OrdinalIgnoreCase);

    /// <summary>The policy's directives: name → sources.</summary>
    private static Dictionary<string, string[]> Csp()
    {
        Assert.True(Headers().TryGetValue("Content-Security-Policy", out var policy), "no Content-Security-Policy header");
        return policy.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(d => d[0].ToLowerInvariant(), d => d[1..], StringComparer.Ordinal);
    }

    private static string[] Directive(Dictionary<string, string[]> csp, string name)
    {
        Assert.True(csp.TryGetValue(name, out var sources), $"the Content-Security-Policy has no {name}");
        return sources;
    }
}
