using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// `dotnet publish src/Console` is what the console's Static Web App serves (its wwwroot, infra/README.md): the static
/// site with its Static Web Apps configuration, small enough to load, and nothing of the development sign-in of the
/// local Functions host (CONTRACT §9) — no sign-in form, no token issuing, no signing key, no secret.
/// </summary>
public sealed class ConsolePublishTests(ConsolePublishTests.PublishedConsole published) : IClassFixture<ConsolePublishTests.PublishedConsole>
{
    private const long MaxCompressedBytes = 4_000_000;

    /// <summary>Text that only the development sign-in, token issuing or a secret would bring into the site.</summary>
    private static readonly string[] Forbidden = ["/.auth/login", "user-jwts", "SigningKeys", "BEGIN PRIVATE KEY", "client_secret", "PartnerBase.FunctionsLocal"];

    /// <summary>
    /// The framework's OIDC client library names the settings it supports, among them a confidential client's
    /// client_secret and the identity provider's signing keys (its public keys, fetched to check id tokens). The
    /// console sets neither: its settings are checked on their own below.
    /// </summary>
    private static readonly Dictionary<string, string[]> FrameworkMentions = new(StringComparer.Ordinal)
    {
        ["wwwroot/_content/Microsoft.AspNetCore.Components.WebAssembly.Authentication/AuthenticationService.js"] = ["client_secret", "SigningKeys"],
    };

    private static readonly string[] TokenIssuingAssemblies = ["System.IdentityModel.Tokens.Jwt", "Microsoft.IdentityModel.JsonWebTokens", "Microsoft.IdentityModel.Tokens", "PartnerBase.FunctionsLocal"];

    private string WebRoot => Path.Combine(published.Folder, "wwwroot");

    [Fact]
    public void Publish_Layout_IsAStaticSite()
    {
        Assert.True(File.Exists(Path.Combine(WebRoot, "index.html")), "wwwroot/index.html is not in the publish folder");
        // File names carry a fingerprint (blazor.webassembly.{fingerprint}.js), so browsers may keep them for good.
        Assert.Single(Directory.GetFiles(Path.Combine(WebRoot, "_framework"), "blazor.webassembly.*.js"));
        Assert.Single(Directory.GetFiles(Path.Combine(WebRoot, "_framework"), "PartnerBase.Console.*.wasm"));
        Assert.True(File.Exists(Path.Combine(WebRoot, "staticwebapp.config.json")), "wwwroot/staticwebapp.config.json is not in the publish folder");
        Assert.True(File.Exists(Path.Combine(WebRoot, "appsettings.json")), "wwwroot/appsettings.json (API and Entra ID settings) is not in the publish folder");
    }

    [Fact]
    public void Publish_Files_HoldNoDevelopmentSignInTokenIssuingOrSecret()
    {
        var found = new List<string>();
        foreach (var path in Directory.EnumerateFiles(published.Folder, "*", SearchOption.AllDirectories))
        {
            // A .br or .gz file is a compressed copy of a file that is searched itself.
            if (path.EndsWith(".br", StringComparison.Ordinal) || path.EndsWith(".gz", StringComparison.Ordinal))
            {
                continue;
            }

            var relative = Path.GetRelativePath(published.Folder, path).Replace('\\', '/');
            var bytes = File.ReadAllBytes(path);
            var allowed = FrameworkMentions.GetValueOrDefault(relative, []);
            // Assemblies (.wasm) keep names in UTF-8 and string literals in UTF-16: search for both encodings.
            found.AddRange(Forbidden
                .Where(text => !allowed.Contains(text, StringComparer.Ordinal))
                .Where(text => Contains(bytes, Encoding.UTF8.GetBytes(text)) || Contains(bytes, Encoding.Unicode.GetBytes(text)))
                .Select(text => $"{relative}: {text}"));
        }

        Assert.True(found.Count == 0, $"the published console holds:\n{string.Join('\n', found)}");
    }

    [Fact]
    public void Publish_Framework_HoldsNoTokenIssuingAssembly()
    {
        var assemblies = Directory.EnumerateFiles(Path.Combine(WebRoot, "_framework"))
            .Select(Path.GetFileName)
            .Where(name => name!.EndsWith(".wasm", StringComparison.Ordinal) || name.EndsWith(".dll", StringComparison.Ordinal))
            .Select(name => Regex.Replace(Path.GetFileNameWithoutExtension(name!), @"\.[a-z0-9]{10}$", ""))
            .ToList();

        Assert.Contains("PartnerBase.Console", assemblies);
        Assert.All(TokenIssuingAssemblies, name => Assert.DoesNotContain(name, assemblies));
        Assert.Empty(Directory.GetFiles(published.Folder, "PartnerBase.FunctionsLocal*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Publish_Settings_HoldNoSecret()
    {
        foreach (var path in Directory.EnumerateFiles(WebRoot, "appsettings*.json"))
        {
            var text = File.ReadAllText(path);
            Assert.DoesNotContain("secret", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("password", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Publish_WebRoot_CompressedIsUnderFourMegabytes()
    {
        // What Static Web Apps serves to a browser that accepts Brotli: each file's .br copy where there is one.
        long total = 0;
        foreach (var path in Directory.EnumerateFiles(WebRoot, "*", SearchOption.AllDirectories))
        {
            if (path.EndsWith(".br", StringComparison.Ordinal) || path.EndsWith(".gz", StringComparison.Ordinal))
            {
                continue;
            }

            total += new FileInfo(File.Exists(path + ".br") ? path + ".br" : path).Length;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"wwwroot compressed (Brotli): {total:N0} bytes ({total / 1_000_000.0:F2} MB)");
        Assert.True(total < MaxCompressedBytes, $"wwwroot is {total:N0} bytes compressed; the limit is {MaxCompressedBytes:N0}");
    }

    [Fact]
    public void Publish_Csp_AllowsExactlyTheImportMapOfIndexHtml()
    {
        // The one inline script (the import map of the fingerprinted files) runs by its hash; no other inline script would.
        var importMap = Regex.Match(File.ReadAllText(Path.Combine(WebRoot, "index.html")), "<script type=\"importmap\">(.*?)</script>", RegexOptions.Singleline);
        Assert.True(importMap.Success, "index.html has no import map");
        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(importMap.Groups[1].Value)));
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(WebRoot, "staticwebapp.config.json")));
        var csp = config.RootElement.GetProperty("globalHeaders").GetProperty("Content-Security-Policy").GetString()!;
        var scripts = csp.Split(';', StringSplitOptions.TrimEntries).Single(directive => directive.StartsWith("script-src ", StringComparison.Ordinal)).Split(' ')[1..];

        Assert.Equal(["'self'", "'wasm-unsafe-eval'", $"'sha256-{hash}'"], scripts);
        Assert.False(File.Exists(Path.Combine(WebRoot, "staticwebapp.config.json.br")), "a compressed copy of the configuration holds the old policy");
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    /// <summary>`dotnet publish src/Console -c Release`, once for the class.</summary>
    public sealed class PublishedConsole() : PublishedProject(Path.Combine("src", "Console", "PartnerBase.Console.csproj"), Path.Combine("wwwroot", "index.html"), TimeSpan.FromMinutes(10));
}
