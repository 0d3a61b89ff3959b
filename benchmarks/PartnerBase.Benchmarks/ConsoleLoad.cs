using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Playwright;
using PartnerBase.FunctionsLocal;

namespace PartnerBase.Benchmarks;

/// <summary>
/// The console's load in headless Chromium (Debian's /usr/bin/chromium, as the console's end-to-end tests): src/Console
/// published in Release against benchmarks/BareConsole (the empty Blazor WebAssembly template) published the same way,
/// each served at <c>/</c> by a local Functions host in Development that runs the published Function App (one host per
/// console, both up for the whole run). Two figures per console:
/// <list type="bullet">
/// <item>what the browser downloads on a first visit (a fresh context, so an empty cache): the encoded body bytes of
/// every response (<see cref="IRequest.SizesAsync"/>), with brotli asked for — for the console, the whole sign-in
/// through <c>/.auth/login</c> to the first payout row;</item>
/// <item>a visit's time from navigation to the first useful content — for the console the first row of the payouts
/// table at <c>/payouts</c>, for the bare app its <c>Hello, world!</c> heading — in a context that has already loaded
/// the app once (the console through its sign-in, which is not timed, the bare app by one visit), then navigated to
/// <c>about:blank</c>: like against like, a signed-in user's next visit. Median of alternating runs, each in a fresh
/// context.</item>
/// </list>
/// </summary>
public static class ConsoleLoad
{
    private const int Runs = 7;
    private const string Issuer = "dotnet-user-jwts";
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(90);

    public static async Task<int> RunAsync()
    {
        if (!File.Exists(LocalChromium.ExecutablePath))
        {
            Console.Error.WriteLine($"The console benchmark needs Chromium at {LocalChromium.ExecutablePath}: install it with `apt-get install chromium`.");
            return 2;
        }

        // The worker inherits this process's environment: no environment name but the one in the settings.
        Environment.SetEnvironmentVariable("ASPNETCORE_ENVIRONMENT", null);
        Environment.SetEnvironmentVariable("DOTNET_ENVIRONMENT", null);

        var clock = Stopwatch.StartNew();
        var functions = await AppBuild.PublishAsync(Path.Combine("src", "Functions", "PartnerBase.Functions.csproj"), "console-functions");
        var console = await AppBuild.PublishAsync(Path.Combine("src", "Console", "PartnerBase.Console.csproj"), "console-app");
        var bare = await AppBuild.PublishAsync(Path.Combine("benchmarks", "BareConsole", "BareConsole.csproj"), "console-bare");
        Console.WriteLine($"Published the Function App, the console and the bare console in {clock.Elapsed.TotalSeconds:N1} s.");

        await using var consoleHost = await StartHostAsync(functions, console);
        await using var bareHost = await StartHostAsync(functions, bare);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LocalChromium.LaunchAsync(playwright);

        // First visits: what is downloaded (and, not counted, the page cache and both hosts warmed).
        var consoleBytes = await FirstVisitAsync(browser, consoleHost.BaseAddress, page => SignInAsync(page), page => FirstRow(page));
        var bareBytes = await FirstVisitAsync(browser, bareHost.BaseAddress, page => page.GotoAsync("/"), page => Heading(page));

        var consoleTimes = new List<double>();
        var bareTimes = new List<double>();
        var consoleTimeline = new List<string>();
        var bareTimeline = new List<string>();
        for (var i = 0; i < Runs; i++)
        {
            var last = i == Runs - 1;
            consoleTimes.Add(await TimeVisitAsync(browser, consoleHost.BaseAddress, SignInAsync, "/payouts", FirstRowShown, last ? consoleTimeline : null));
            bareTimes.Add(await TimeVisitAsync(browser, bareHost.BaseAddress, BareFirstVisitAsync, "/", HeadingShown, last ? bareTimeline : null));
        }

        var consoleDisk = BrotliBytes(console);
        var bareDisk = BrotliBytes(bare);
        var consoleMedian = Median(consoleTimes);
        var bareMedian = Median(bareTimes);
        Console.WriteLine();
        Console.WriteLine($"Console load in headless Chromium {browser.Version}, published Release under the local Functions host in Development ({Runs} visits each, alternating, fresh contexts; {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd})");
        Console.WriteLine();
        Console.WriteLine("| | first useful content, median ms | min ms | max ms | first visit downloads (encoded), MB | of which static assets, MB | all .br under wwwroot, MB |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| console (src/Console): /payouts → first payout row | {consoleMedian:N0} | {consoleTimes.Min():N0} | {consoleTimes.Max():N0} | {Mb(consoleBytes.Total)} | {Mb(consoleBytes.Assets)} | {Mb(consoleDisk)} |");
        Console.WriteLine($"| bare (benchmarks/BareConsole): / → Hello, world! | {bareMedian:N0} | {bareTimes.Min():N0} | {bareTimes.Max():N0} | {Mb(bareBytes.Total)} | {Mb(bareBytes.Assets)} | {Mb(bareDisk)} |");
        Console.WriteLine($"| ratio console/bare (target ≤ 1.5; size target ≤ 4 MB) | {consoleMedian / bareMedian:N2} | | | {(double)consoleBytes.Total / bareBytes.Total:N2} | {(double)consoleBytes.Assets / bareBytes.Assets:N2} | |");
        Console.WriteLine();
        Console.WriteLine($"console visits ms: {string.Join(", ", consoleTimes.Select(t => t.ToString("N0", CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"bare visits ms:    {string.Join(", ", bareTimes.Select(t => t.ToString("N0", CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"content encodings of the console's first visit: {consoleBytes.Encodings}; the bare app's: {bareBytes.Encodings}");
        Console.WriteLine();
        Console.WriteLine("The last console visit, requests as they finished:");
        consoleTimeline.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine("The last bare visit, requests as they finished:");
        bareTimeline.ForEach(Console.WriteLine);
        return 0;
    }

    /// <summary>Encoded response body bytes of a first visit: all of them, and those of the app's static assets (not /api/ or /.auth/).</summary>
    private sealed record Downloaded(long Total, long Assets, string Encodings);

    private static async Task<LocalFunctionsHost> StartHostAsync(string functions, string console)
    {
        var settings = new Dictionary<string, string>(AppBuild.LocalSettingsSample(), StringComparer.Ordinal)
        {
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
            ["Authentication__Schemes__Bearer__SigningKeys__0__Issuer"] = Issuer,
            ["Authentication__Schemes__Bearer__SigningKeys__0__Value"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Logging__LogLevel__Default"] = "Warning",
        };

        // The sample's empty token settings are placeholders for Azure: in Development the user-jwts defaults apply.
        settings.Remove("Authentication__Schemes__Bearer__Authority");
        settings.Remove("Authentication__Schemes__Bearer__ValidAudiences__0");
        var host = await LocalFunctionsHost.StartAsync(
            new LocalHostOptions
            {
                AppDirectory = functions,
                ConsoleDirectory = console,
                Urls = ["http://127.0.0.1:0"],
                Settings = settings,
                // Quiet hosts: the timers' work would run beside the measured loads.
                RunTimersOnSchedule = false,
            },
            new ProcessWorkerLauncher());
        if (!host.ServesConsole)
        {
            await host.DisposeAsync();
            throw new InvalidOperationException($"The local Functions host serves no console from {console}.");
        }

        return host;
    }

    private static async Task<IBrowserContext> NewContextAsync(IBrowser browser, Uri baseAddress)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            Locale = "en-US",
            TimezoneId = "UTC",
            // Chromium offers brotli only over HTTPS; the local host answers http://127.0.0.1 with what a browser gets from Azure.
            ExtraHTTPHeaders = new Dictionary<string, string> { ["Accept-Encoding"] = "br, gzip" },
        });
        context.SetDefaultTimeout((float)StartupTimeout.TotalMilliseconds);
        return context;
    }

    private static async Task<Downloaded> FirstVisitAsync(IBrowser browser, Uri baseAddress, Func<IPage, Task> visit, Func<IPage, ILocator> content)
    {
        await using var context = await NewContextAsync(browser, baseAddress);
        var page = await context.NewPageAsync();
        var finished = new List<Task<(string Url, long Bytes, string Encoding)>>();
        page.RequestFinished += (_, request) =>
        {
            lock (finished)
            {
                finished.Add(SizeAsync(request));
            }
        };
        await visit(page);
        await content(page).WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        // Whatever the app still fetches once it shows its content belongs to the visit too.
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Task<(string Url, long Bytes, string Encoding)>[] pending;
        lock (finished)
        {
            pending = [.. finished];
        }

        var sizes = await Task.WhenAll(pending);
        var assets = sizes.Where(size => new Uri(size.Url).AbsolutePath is var path && !path.StartsWith("/api/", StringComparison.Ordinal) && !path.StartsWith("/.auth/", StringComparison.Ordinal));
        var encodings = string.Join(", ", sizes.GroupBy(size => size.Encoding).OrderByDescending(group => group.Sum(size => size.Bytes))
            .Select(group => $"{group.Key} {group.Count()} responses {Mb(group.Sum(size => size.Bytes))} MB"));
        return new Downloaded(sizes.Sum(size => size.Bytes), assets.Sum(size => size.Bytes), encodings);
    }

    private static async Task<(string Url, long Bytes, string Encoding)> SizeAsync(IRequest request)
    {
        var sizes = await request.SizesAsync();
        var response = await request.ResponseAsync();
        var encoding = response is null ? "none" : await response.HeaderValueAsync("content-encoding") ?? "identity";
        return (request.Url, sizes.ResponseBodySize, encoding);
    }

    /// <summary>
    /// Milliseconds from navigating to <paramref name="path"/> (the new document's time origin) to the first animation
    /// frame in which <paramref name="shown"/> holds, in a fresh context primed by <paramref name="prime"/>. Measured in
    /// the page, frame by frame: a locator's wait polls at growing intervals (up to 500 ms) and would add its own delay.
    /// </summary>
    private static async Task<double> TimeVisitAsync(IBrowser browser, Uri baseAddress, Func<IPage, Task> prime, string path, string shown, List<string>? timeline = null)
    {
        await using var context = await NewContextAsync(browser, baseAddress);
        var page = await context.NewPageAsync();
        await prime(page);
        await page.GotoAsync("about:blank");
        var started = Stopwatch.GetTimestamp();
        if (timeline is not null)
        {
            // What the visit fetched, and when each response was complete, in ms from the navigation.
            page.RequestFinished += (_, request) =>
            {
                var at = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (timeline)
                {
                    timeline.Add(string.Create(CultureInfo.InvariantCulture, $"{at,7:N0} ms  {request.Method} {new Uri(request.Url).PathAndQuery}"));
                }
            };
        }

        await page.GotoAsync(new Uri(baseAddress, path).ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
        var detected = await page.WaitForFunctionAsync($"() => ({shown}) ? performance.now() : false");
        var elapsed = await detected.JsonValueAsync<double>();
        if (timeline is not null)
        {
            lock (timeline)
            {
                timeline.Add(string.Create(CultureInfo.InvariantCulture, $"{elapsed,7:N0} ms  content visible"));
            }
        }

        return elapsed;
    }

    /// <summary>Signs in through the development form as an approver of <c>demo</c> and waits for the payouts table.</summary>
    private static async Task SignInAsync(IPage page)
    {
        var response = await page.GotoAsync("/.auth/login");
        if (response is null || !response.Ok)
        {
            throw new InvalidOperationException($"GET /.auth/login answered {response?.Status.ToString(CultureInfo.InvariantCulture) ?? "nothing"}: the host serves no development sign-in.");
        }

        await page.GetByLabel("User", new() { Exact = true }).FillAsync("approver-bench");
        await page.GetByLabel("Organization", new() { Exact = true }).FillAsync("demo");
        await page.GetByLabel("Roles", new() { Exact = true }).FillAsync("approver");
        await page.GetByLabel("Partner", new() { Exact = true }).FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await FirstRow(page).WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
    }

    private static async Task BareFirstVisitAsync(IPage page)
    {
        await page.GotoAsync("/");
        await Heading(page).WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
    }

    /// <summary>The payouts table's first row with cells (the header row has none).</summary>
    private static ILocator FirstRow(IPage page) => page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Cell) }).First;

    private static ILocator Heading(IPage page) => page.GetByRole(AriaRole.Heading, new() { Name = "Hello, world!", Level = 1 });

    // The same two conditions as page scripts, checked every animation frame.
    private const string FirstRowShown = "document.querySelector('table tbody tr td') !== null";

    private const string HeadingShown = "[...document.querySelectorAll('h1')].some(h => h.textContent.trim() === 'Hello, world!')";

    /// <summary>Every precompressed file a publish holds under wwwroot, source maps aside: an upper bound of what a browser may fetch.</summary>
    private static long BrotliBytes(string publish) =>
        Directory.EnumerateFiles(Path.Combine(publish, "wwwroot"), "*.br", SearchOption.AllDirectories)
            .Where(file => !file.EndsWith(".map.br", StringComparison.Ordinal))
            .Sum(file => new FileInfo(file).Length);

    private static string Mb(long bytes) => (bytes / 1_000_000.0).ToString("N2", CultureInfo.InvariantCulture);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
