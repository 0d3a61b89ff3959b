using System.Net.Http.Headers;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PartnerBase.Azurite;
using PartnerBase.FunctionsLocal;

namespace PartnerBase.Console.Tests;

/// <summary>
/// The browser tests: one <see cref="ConsoleApp"/> for all of them, and one test at a time (one browser and one Function
/// App on two cores: tests side by side would only race each other's timeouts). The component tests stay outside it.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<ConsoleApp>
{
    public const string Name = "Console in Chromium";
}

/// <summary>
/// The console as a developer runs it (CONTRACT §9): the Function App's and the console's build output under the local
/// Functions host in Development, with its development sign-in, Azurite for its documents (statements, reconciliation
/// reports) and headless Chromium — one of each per test run. The host and the tests share a fresh
/// <c>dotnet user-jwts</c> signing key, so the tests can call the API themselves.
/// </summary>
public sealed partial class ConsoleApp : IAsyncLifetime
{
    public const string Issuer = "dotnet-user-jwts";
    public const string Audience = "http://localhost:7071";
    public const string EverySecond = "* * * * * *";

    /// <summary>A Blazor WebAssembly Debug build loads slowly on two cores: the first page after sign-in may take this long.</summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(90);

    private static readonly Lazy<string> Root = new(FindRepoRoot);

    private readonly byte[] _signingKey = RandomNumberGenerator.GetBytes(32);
    private LocalAzurite? _azurite;
    private LocalFunctionsHost? _host;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public static string RepoRoot => Root.Value;

    /// <summary>The configuration this test assembly was built with, and so its project references (Debug by default).</summary>
    public static string Configuration => typeof(ConsoleApp).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

    public static string FunctionsBuildOutput => Path.Combine(RepoRoot, "src", "Functions", "bin", Configuration, "net10.0");

    public static string ConsoleBuildOutput => Path.Combine(RepoRoot, "src", "Console", "bin", Configuration, "net10.0");

    public Uri BaseAddress => (_host ?? throw new InvalidOperationException("The console app has not started.")).BaseAddress;

    private IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(Path.Combine(FunctionsBuildOutput, "worker.config.json")))
        {
            throw new InvalidOperationException($"{FunctionsBuildOutput} has no worker.config.json: build src/Functions ({Configuration}) first.");
        }

        if (!Directory.Exists(ConsoleBuildOutput) || Directory.GetFiles(ConsoleBuildOutput, "*.staticwebassets.endpoints.json") is [])
        {
            throw new InvalidOperationException($"{ConsoleBuildOutput} has no *.staticwebassets.endpoints.json: build src/Console ({Configuration}) first.");
        }

        // The app keeps its documents in its AzureWebJobsStorage; Development's default (UseDevelopmentStorage=true,
        // 127.0.0.1:10000) may be taken or absent, so the run has an Azurite of its own on a free port.
        try
        {
            _azurite = await LocalAzurite.StartAsync();
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"Azurite (tools/azurite, npm 'azurite', Node.js 20+) could not be started; the console tests need it for the app's documents: {e.Message}", e);
        }

        var options = new LocalHostOptions
        {
            AppDirectory = FunctionsBuildOutput,
            ConsoleDirectory = ConsoleBuildOutput,
            Urls = ["http://127.0.0.1:0"],
            Settings = new Dictionary<string, string>
            {
                ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
                ["AzureWebJobsStorage"] = _azurite.ConnectionString,
                ["Authentication__Schemes__Bearer__SigningKeys__0__Issuer"] = Issuer,
                ["Authentication__Schemes__Bearer__SigningKeys__0__Value"] = Convert.ToBase64String(_signingKey),
                ["CommissionRunSchedule"] = "0 0 2 1 * *",
                ["EventRelaySchedule"] = EverySecond,
                ["PaymentsSchedule"] = EverySecond,
                ["NotificationsSchedule"] = EverySecond,
                ["WebhooksSchedule"] = EverySecond,
                ["StatementsSchedule"] = "0 0 4 1 * *",
                ["ReconciliationSchedule"] = "0 30 3 * * *",
                ["Logging__LogLevel__Default"] = "Warning",
            },
            RunTimersOnSchedule = true,
        };
        _host = await LocalFunctionsHost.StartAsync(options, new ProcessWorkerLauncher());

        _playwright = await Playwright.CreateAsync();
        _browser = await LocalChromium.LaunchAsync(_playwright);
        SetDefaultExpectTimeout(15_000);
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    /// <summary>A new browser context (no cookies, no storage) and page, at the console's address.</summary>
    public async Task<ConsolePage> OpenAsync(int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            AcceptDownloads = true,
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();

        // What the browser says goes to the test's output, so a failed test shows the console's own errors.
        var output = TestContext.Current.TestOutputHelper;
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                output?.WriteLine($"[browser {message.Type}] {message.Text}");
            }
        };
        page.PageError += (_, error) => output?.WriteLine($"[page error] {error}");
        return new ConsolePage(context, page);
    }

    /// <summary>
    /// Signs in through the development form at <c>/.auth/login</c> and waits for the page the console shows after
    /// sign-in (Payouts for staff, the portal for a partner) and its heading.
    /// </summary>
    public async Task SignInAsync(IPage page, string organization, string user, string roles, string? partner = null)
    {
        var response = await page.GotoAsync("/.auth/login");
        if (response is null || !response.Ok)
        {
            Assert.Fail($"GET /.auth/login answered {response?.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"}: "
                + "the local Functions host serves no development sign-in (LocalHostOptions.ConsoleDirectory with the user-jwts signing key settings, in Development).");
        }

        await page.GetByLabel("User", new() { Exact = true }).FillAsync(user);
        await page.GetByLabel("Organization", new() { Exact = true }).FillAsync(organization);
        await page.GetByLabel("Roles", new() { Exact = true }).FillAsync(roles);
        await page.GetByLabel("Partner", new() { Exact = true }).FillAsync(partner ?? "");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();

        await page.WaitForURLAsync(url => LandingPage().IsMatch(url) || url.Contains("/authentication/login-failed", StringComparison.Ordinal),
            new() { Timeout = (float)StartupTimeout.TotalMilliseconds });
        if (!LandingPage().IsMatch(page.Url))
        {
            Assert.Fail($"Sign-in as {user} ({roles}) in {organization} ended at {page.Url}: {await page.Locator("body").InnerTextAsync()}");
        }

        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 }).First)
            .ToBeVisibleAsync(new() { Timeout = (float)StartupTimeout.TotalMilliseconds });
    }

    /// <summary>A token as <c>dotnet user-jwts create</c> issues it, signed with this run's key, which the worker accepts.</summary>
    public string Token(string organization, string user, IReadOnlyList<string> roles, string? partner = null)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["sub"] = user,
            ["unique_name"] = user,
            ["org_id"] = organization,
        };
        if (roles.Count > 0)
        {
            claims["role"] = roles.Count == 1 ? roles[0] : roles.ToArray();
        }

        if (partner is not null)
        {
            claims["partner_id"] = partner;
        }

        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Claims = claims,
            NotBefore = now.AddMinutes(-5),
            IssuedAt = now.AddMinutes(-5),
            Expires = now.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(_signingKey), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>A client of the API whose requests carry this user's token.</summary>
    public HttpClient ApiClient(string organization, string user, IReadOnlyList<string> roles, string? partner = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(organization, user, roles, partner));
        return client;
    }

    [GeneratedRegex(@"/(payouts|portal)([?#]|$)")]
    private static partial Regex LandingPage();

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PartnerBase.Functions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No PartnerBase.Functions.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>One test's browser context and page; disposing closes both.</summary>
public sealed class ConsolePage(IBrowserContext context, IPage page) : IAsyncDisposable
{
    public IBrowserContext Context { get; } = context;

    public IPage Page { get; } = page;

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
