using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PartnerBase.Functions.Tests.Api;
using PartnerBase.FunctionsLocal;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// The local Functions host serving the console (CONTRACT §9) from a hand-made publish folder, and its development
/// sign-in: an OpenID Connect round trip whose access token the real worker accepts.
/// </summary>
public sealed class LocalConsoleServingTests(LocalConsoleServingTests.App app) : IClassFixture<LocalConsoleServingTests.App>
{
    private const string ClientId = "partnerbase-console";
    private const string IndexMarker = "<title>Fake console</title>";

    [Theory]
    [InlineData("/")]
    [InlineData("/payouts")]
    [InlineData("/payouts/po_123")]
    public async Task ClientRoute_ServesIndexHtml_NotCached(string path)
    {
        using var client = app.Client();

        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(IndexMarker, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl?.NoCache, "index.html must be revalidated");
    }

    [Fact]
    public async Task StaticAsset_IsServedFromTheManifest()
    {
        using var client = app.Client();

        var response = await client.GetAsync("/app.css", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("body{}", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("/api/unknown")]
    [InlineData("/api/payouts/po_1/unknown")]
    [InlineData("/admin/unknown")]
    public async Task ApiOrAdmin_UnknownRoute_StaysProblem404(string path)
    {
        using var client = app.Client();

        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task MissingFile_Is404_NotIndexHtml()
    {
        using var client = app.Client();

        var response = await client.GetAsync("/missing.js", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task AppSettings_InDevelopment_PointsTheConsoleAtDevelopmentSignIn()
    {
        using var client = app.Client();

        // As a browser asks: the console's file also has a gzip endpoint, which must not win.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/appsettings.json") { Headers = { { "Accept-Encoding", "gzip" } } };

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        var settings = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal(app.Origin + "/.auth", settings["Oidc"]!["Authority"]!.GetValue<string>());
        Assert.Equal(ClientId, settings["Oidc"]!["ClientId"]!.GetValue<string>());
        Assert.Equal("", settings["Api"]!["BaseUrl"]!.GetValue<string>());
        Assert.Equal("kept", settings["Other"]!.GetValue<string>());
    }

    [Fact]
    public async Task Discovery_NamesTheEndpointsOfThisOrigin()
    {
        using var client = app.Client();

        var discovery = JsonNode.Parse(await client.GetStringAsync("/.auth/.well-known/openid-configuration", TestContext.Current.CancellationToken))!;

        Assert.Equal(app.Origin + "/.auth", discovery["issuer"]!.GetValue<string>());
        Assert.Equal(app.Origin + "/.auth/token", discovery["token_endpoint"]!.GetValue<string>());
        Assert.Equal("S256", Assert.Single(discovery["code_challenge_methods_supported"]!.AsArray())!.GetValue<string>());
    }

    [Fact]
    public async Task SignIn_FullRoundTrip_IssuesATokenTheWorkerAccepts()
    {
        var ct = TestContext.Current.CancellationToken;
        using var browser = app.Client();
        var user = $"alice-{Guid.NewGuid():N}";
        var org = $"org-{Guid.NewGuid():N}";
        var (verifier, challenge) = Pkce();

        var authorize = await browser.GetAsync(AuthorizeUrl(challenge, "state-1", "nonce-1"), ct);
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var login = authorize.Headers.Location!.OriginalString;
        Assert.StartsWith("/.auth/login?returnUrl=", login, StringComparison.Ordinal);
        var form = await browser.GetStringAsync(login, ct);
        Assert.Contains("<label for=\"User\">User</label>", form, StringComparison.Ordinal);
        Assert.Contains("<button type=\"submit\">Sign in</button>", form, StringComparison.Ordinal);

        var signedIn = await browser.PostAsync("/.auth/login", Form(new()
        {
            ["returnUrl"] = QueryHelpers.ParseQuery(new Uri(app.Origin + login).Query)["returnUrl"].ToString(),
            ["User"] = user,
            ["Organization"] = org,
            ["Roles"] = "viewer, manager",
            ["Partner"] = "",
        }), ct);
        Assert.Equal(HttpStatusCode.SeeOther, signedIn.StatusCode);
        var code = await AuthorizeAsync(browser, signedIn.Headers.Location!.OriginalString, "state-1");

        var token = await browser.PostAsync("/.auth/token", TokenRequest(code, verifier), ct);

        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        Assert.True(token.Headers.CacheControl?.NoStore);
        var tokens = JsonNode.Parse(await token.Content.ReadAsStringAsync(ct))!;
        var accessToken = tokens["access_token"]!.GetValue<string>();
        var access = new JsonWebToken(accessToken);
        Assert.Equal("dotnet-user-jwts", access.Issuer);
        Assert.Equal(user, access.GetClaim("unique_name").Value);
        Assert.Equal(["viewer", "manager"], access.Claims.Where(c => c.Type == "role").Select(c => c.Value));
        Assert.Equal(org, access.GetClaim("org_id").Value);

        var idToken = await ValidateIdTokenAsync(browser, tokens["id_token"]!.GetValue<string>());
        Assert.Equal(user, idToken.Subject);
        Assert.Equal("nonce-1", idToken.GetClaim("nonce").Value);

        using var api = app.Client();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        var payouts = await api.GetAsync("/api/payouts", ct);
        Assert.Equal(HttpStatusCode.OK, payouts.StatusCode);
        var userInfo = JsonNode.Parse(await api.GetStringAsync("/.auth/userinfo", ct))!;
        Assert.Equal(user, userInfo["sub"]!.GetValue<string>());
        Assert.Equal(org, userInfo["org_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Token_WrongCodeVerifier_IsInvalidGrant_AndTheCodeIsSpent()
    {
        var ct = TestContext.Current.CancellationToken;
        using var browser = app.Client();
        await SignInAsync(browser, "bob", "partner", "acme");
        var (verifier, challenge) = Pkce();
        var code = await AuthorizeAsync(browser, AuthorizeUrl(challenge, "s", null), "s");

        var wrong = await browser.PostAsync("/.auth/token", TokenRequest(code, Pkce().Verifier), ct);
        var retry = await browser.PostAsync("/.auth/token", TokenRequest(code, verifier), ct);

        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal("invalid_grant", JsonNode.Parse(await wrong.Content.ReadAsStringAsync(ct))!["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, retry.StatusCode);
    }

    [Fact]
    public async Task Authorize_PromptNoneWithoutSession_RedirectsWithLoginRequired()
    {
        using var browser = app.Client();

        var response = await browser.GetAsync(AuthorizeUrl(Pkce().Challenge, "silent", null) + "&prompt=none", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(app.Origin + "/authentication/login-callback?", location.OriginalString, StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal("login_required", query["error"].ToString());
        Assert.Equal("silent", query["state"].ToString());
    }

    [Fact]
    public async Task Authorize_RedirectUriOfAnotherOrigin_IsRefusedWithoutRedirect()
    {
        using var browser = app.Client();
        var url = QueryHelpers.AddQueryString("/.auth/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = ClientId,
            ["response_type"] = "code",
            ["redirect_uri"] = "https://evil.example/callback",
            ["code_challenge"] = Pkce().Challenge,
            ["code_challenge_method"] = "S256",
        });

        var response = await browser.GetAsync(url, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Login_PartnerRoleWithoutPartner_ShowsTheErrorBesideTheField()
    {
        using var browser = app.Client();

        var response = await browser.PostAsync("/.auth/login", Form(new()
        {
            ["returnUrl"] = "/",
            ["User"] = "carol",
            ["Organization"] = "demo",
            ["Roles"] = "partner",
            ["Partner"] = "",
        }), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("id=\"Partner-error\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Set-Cookie", response.Headers.Select(h => h.Key));
    }

    [Fact]
    public async Task Logout_ClearsTheSession_SoPromptNoneNeedsALoginAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        using var browser = app.Client();
        await SignInAsync(browser, "dave", "admin", null);

        var signedOut = await browser.GetAsync("/.auth/logout", ct);
        var silent = await browser.GetAsync(AuthorizeUrl(Pkce().Challenge, "s", null) + "&prompt=none", ct);

        Assert.Equal(HttpStatusCode.OK, signedOut.StatusCode);
        var page = await signedOut.Content.ReadAsStringAsync(ct);
        Assert.Contains("You are signed out", page, StringComparison.Ordinal);
        Assert.Contains("<script src=\"/.auth/logout.js\"></script>", page, StringComparison.Ordinal);
        Assert.Contains("login_required", silent.Headers.Location!.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_ServesTheConsole_ButNoSignInAndTheSettingsAsBuilt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartHostAsync(app.ConsoleDirectory, "Production");
        using var client = new HttpClient { BaseAddress = host.BaseAddress };

        var index = await client.GetAsync("/payouts", ct);
        var login = await client.GetAsync("/.auth/login", ct);
        var discovery = await client.GetAsync("/.auth/.well-known/openid-configuration", ct);
        var settings = JsonNode.Parse(await client.GetStringAsync("/appsettings.json", ct))!;

        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.False(host.SignInEnabled);
        Assert.Equal(HttpStatusCode.NotFound, login.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, discovery.StatusCode);
        Assert.Equal("https://login.example", settings["Oidc"]!["Authority"]!.GetValue<string>());
    }

    private string AuthorizeUrl(string challenge, string state, string? nonce)
    {
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = ClientId,
            ["redirect_uri"] = app.Origin + "/authentication/login-callback",
            ["response_type"] = "code",
            ["scope"] = "openid profile api",
            ["state"] = state,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["response_mode"] = "query",
        };
        if (nonce is not null)
        {
            query["nonce"] = nonce;
        }

        return QueryHelpers.AddQueryString("/.auth/authorize", query);
    }

    private static async Task SignInAsync(HttpClient browser, string user, string roles, string? partner)
    {
        var response = await browser.PostAsync("/.auth/login", Form(new()
        {
            ["returnUrl"] = "/",
            ["User"] = user,
            ["Organization"] = $"org-{Guid.NewGuid():N}",
            ["Roles"] = roles,
            ["Partner"] = partner ?? "",
        }), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    /// <summary>Follows an authorize URL with a session: the code the callback receives.</summary>
    private async Task<string> AuthorizeAsync(HttpClient browser, string authorizeUrl, string state)
    {
        var response = await browser.GetAsync(authorizeUrl, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var callback = response.Headers.Location!;
        Assert.StartsWith(app.Origin + "/authentication/login-callback?", callback.OriginalString, StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(callback.Query);
        Assert.Equal(state, query["state"].ToString());
        return query["code"].ToString();
    }

    private FormUrlEncodedContent TokenRequest(string code, string verifier) => Form(new()
    {
        ["grant_type"] = "authorization_code",
        ["code"] = code,
        ["redirect_uri"] = app.Origin + "/authentication/login-callback",
        ["code_verifier"] = verifier,
        ["client_id"] = ClientId,
    });

    private async Task<JsonWebToken> ValidateIdTokenAsync(HttpClient browser, string idToken)
    {
        var jwks = new JsonWebKeySet(await browser.GetStringAsync("/.auth/keys", TestContext.Current.CancellationToken));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuer = app.Origin + "/.auth",
            ValidAudience = ClientId,
            IssuerSigningKeys = jwks.GetSigningKeys(),
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        return (JsonWebToken)result.SecurityToken;
    }

    private static FormUrlEncodedContent Form(Dictionary<string, string> fields) => new(fields);

    private static (string Verifier, string Challenge) Pkce()
    {
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    private static readonly byte[] SigningKey = RandomNumberGenerator.GetBytes(32);

    /// <summary>A host of the real worker (in-process) with the console folder; the signing key passed as app settings.</summary>
    private static Task<LocalFunctionsHost> StartHostAsync(string consoleDirectory, string environment) =>
        LocalFunctionsHost.StartAsync(
            new LocalHostOptions
            {
                AppDirectory = AppContext.BaseDirectory,
                Urls = ["http://127.0.0.1:0"],
                ConsoleDirectory = consoleDirectory,
                Settings = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["AZURE_FUNCTIONS_ENVIRONMENT"] = environment,
                    ["CommissionRunSchedule"] = "0 0 2 1 * *",
                    ["EventRelaySchedule"] = FunctionApp.EverySecond,
                    ["PaymentsSchedule"] = FunctionApp.EverySecond,
                    ["NotificationsSchedule"] = FunctionApp.EverySecond,
                    ["WebhooksSchedule"] = FunctionApp.EverySecond,
                    ["StatementsSchedule"] = "0 0 4 1 * *",
                    ["ReconciliationSchedule"] = "0 30 3 * * *",
                    // Production's default transport is Service Bus; these tests need no events.
                    ["Events__Transport"] = "memory",
                    // Outside Development the app's storage must be named; these tests store no documents (and the
                    // host keeps its timers without storage: it reads only the connection string form).
                    ["AzureWebJobsStorage__blobServiceUri"] = "http://127.0.0.1:10000/devstoreaccount1",
                    ["Authentication__Schemes__Bearer__ValidIssuer"] = "dotnet-user-jwts",
                    ["Authentication__Schemes__Bearer__ValidAudiences__0"] = "http://localhost:7071",
                    ["Authentication__Schemes__Bearer__SigningKeys__0__Issuer"] = "dotnet-user-jwts",
                    ["Authentication__Schemes__Bearer__SigningKeys__0__Value"] = Convert.ToBase64String(SigningKey),
                },
                RunTimersOnSchedule = false,
            },
            new InProcessWorkers<Program>(builder => builder.UseSetting("Logging:LogLevel:Default", "Warning")),
            cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>A console publish folder made by hand: its endpoints manifest and wwwroot.</summary>
    private static string CreateConsoleFolder()
    {
        var directory = Directory.CreateTempSubdirectory("fake-console-").FullName;
        var wwwroot = Directory.CreateDirectory(Path.Combine(directory, "wwwroot")).FullName;
        File.WriteAllText(Path.Combine(wwwroot, "index.html"), $"<!DOCTYPE html><html><head>{IndexMarker}</head><body></body></html>");
        File.WriteAllText(Path.Combine(wwwroot, "app.css"), "body{}");
        File.WriteAllText(Path.Combine(wwwroot, "appsettings.json"), """{ "Other": "kept", "Oidc": { "Authority": "https://login.example" } }""");
        using (var gzip = new GZipStream(File.Create(Path.Combine(wwwroot, "appsettings.json.gz")), CompressionLevel.Fastest))
        {
            gzip.Write(File.ReadAllBytes(Path.Combine(wwwroot, "appsettings.json")));
        }

        var endpoints = new JsonArray(
            Endpoint("index.html", "index.html", "text/html"),
            Endpoint("app.css", "app.css", "text/css"),
            Endpoint("appsettings.json", "appsettings.json", "application/json"),
            Endpoint("appsettings.json", "appsettings.json.gz", "application/json", "gzip"));
        var manifest = new JsonObject { ["Version"] = 1, ["ManifestType"] = "Publish", ["Endpoints"] = endpoints };
        File.WriteAllText(Path.Combine(directory, "Fake.Console.staticwebassets.endpoints.json"), manifest.ToJsonString());
        return directory;

        // The headers the SDK writes and MapStaticAssets requires.
        JsonObject Endpoint(string route, string file, string contentType, string? encoding = null)
        {
            var content = File.ReadAllBytes(Path.Combine(wwwroot, file));
            var headers = new JsonArray(
                Header("Cache-Control", "no-cache"),
                Header("Content-Length", content.Length.ToString(CultureInfo.InvariantCulture)),
                Header("Content-Type", contentType),
                Header("ETag", $"\"{Convert.ToBase64String(SHA256.HashData(content))}\""),
                Header("Last-Modified", DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture)));
            var selectors = new JsonArray();
            if (encoding is not null)
            {
                headers.Add(Header("Content-Encoding", encoding));
                headers.Add(Header("Vary", "Accept-Encoding"));
                selectors.Add(new JsonObject { ["Name"] = "Content-Encoding", ["Value"] = encoding, ["Quality"] = "0.5" });
            }

            return new()
            {
                ["Route"] = route,
                ["AssetFile"] = file,
                ["Selectors"] = selectors,
                ["ResponseHeaders"] = headers,
                ["EndpointProperties"] = new JsonArray(),
            };
        }

        static JsonObject Header(string name, string value) => new() { ["Name"] = name, ["Value"] = value };
    }

    public sealed class App : IAsyncLifetime
    {
        private LocalFunctionsHost _host = null!;

        public string ConsoleDirectory { get; } = CreateConsoleFolder();

        public string Origin => _host.BaseAddress.GetLeftPart(UriPartial.Authority);

        /// <summary>A browser: its own cookies, redirects not followed.</summary>
        public HttpClient Client() =>
            new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = _host.BaseAddress };

        public async ValueTask InitializeAsync() => _host = await StartHostAsync(ConsoleDirectory, "Development");

        public async ValueTask DisposeAsync()
        {
            await _host.DisposeAsync();
            Directory.Delete(ConsoleDirectory, recursive: true);
        }
    }
}
