using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PartnerBase.FunctionsLocal;

namespace PartnerBase.Benchmarks;

/// <summary>
/// Cold start of the worker: from the moment the local Functions host starts the worker process
/// (<c>dotnet PartnerBase.Functions.dll</c>) to the first 200 from <c>GET /api/health</c> through the host, for the
/// published app and for benchmarks/BareApp (an isolated-worker app with nothing but GetHealth, published the same
/// way), started in turn so that both share the machine's noise. The host runs in this process and is already warm, as
/// the Functions host is when it starts a worker: what is measured is the worker's start-up (runtime, host builder,
/// gRPC handshake, function metadata and loading, its HTTP server) and its first request. What the app's own start-up
/// costs is the difference; the ratio says how much of it is ours.
/// </summary>
public static class ColdStart
{
    private const int DefaultStarts = 10;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    // The same app settings for both: local.settings.sample.json's, but in Production, as deployed. Production validates
    // at start that a token authority is configured; it is not contacted before a request needs it.
    private static readonly Dictionary<string, string> Settings = new(AppBuild.LocalSettingsSample(), StringComparer.Ordinal)
    {
        ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Production",
        ["Authentication__Schemes__Bearer__Authority"] = "https://login.microsoftonline.com/common/v2.0",
        ["Authentication__Schemes__Bearer__ValidAudiences__0"] = "api://bench",
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var starts = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : DefaultStarts;
        // The workers inherit this process's environment: no environment name but the one in Settings.
        Environment.SetEnvironmentVariable("ASPNETCORE_ENVIRONMENT", null);
        Environment.SetEnvironmentVariable("DOTNET_ENVIRONMENT", null);

        var clock = Stopwatch.StartNew();
        var app = await AppBuild.PublishAsync(Path.Combine("src", "Functions", "PartnerBase.Functions.csproj"), "coldstart-app");
        var appSeconds = clock.Elapsed.TotalSeconds;
        var bare = await AppBuild.PublishAsync(Path.Combine("benchmarks", "BareApp", "BareApp.csproj"), "coldstart-bare");
        Console.WriteLine($"Published in {clock.Elapsed.TotalSeconds:N1} s (app {appSeconds:N1} s, bare {clock.Elapsed.TotalSeconds - appSeconds:N1} s).");

        // A self-contained publish starts differently from a framework-dependent one: only like against like compares.
        if (File.Exists(Path.Combine(app, "libcoreclr.so")) != File.Exists(Path.Combine(bare, "libcoreclr.so")))
        {
            throw new InvalidOperationException("One publish is self-contained and the other is not: BareApp.csproj must publish as src/Functions does.");
        }

        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) }) { Timeout = TimeSpan.FromSeconds(5) };

        // One start of each, not counted: it reads the published files into the page cache, so that what is measured
        // is a process starting, not a disk; and it warms this process's host and HTTP client.
        await TimeStartAsync(http, app);
        await TimeStartAsync(http, bare);
        var appTimes = new List<Start>();
        var bareTimes = new List<Start>();
        for (var i = 0; i < starts; i++)
        {
            appTimes.Add(await TimeStartAsync(http, app));
            bareTimes.Add(await TimeStartAsync(http, bare));
        }

        var framework = File.Exists(Path.Combine(app, "libcoreclr.so")) ? "self-contained" : "framework-dependent";
        Console.WriteLine();
        Console.WriteLine($"Cold start, worker process start to first 200 from GET /api/health through the local Functions host ({starts} starts each, alternating; {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd})");
        Console.WriteLine();
        Console.WriteLine($"| published linux-x64 {framework}, ReadyToRun | median ms | min ms | max ms | of which: functions loaded, median ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine($"| app (PartnerBase.Functions, Production) | {Median(appTimes, s => s.FirstOk):N0} | {appTimes.Min(s => s.FirstOk):N0} | {appTimes.Max(s => s.FirstOk):N0} | {Median(appTimes, s => s.HostReady):N0} |");
        Console.WriteLine($"| bare isolated worker (benchmarks/BareApp) | {Median(bareTimes, s => s.FirstOk):N0} | {bareTimes.Min(s => s.FirstOk):N0} | {bareTimes.Max(s => s.FirstOk):N0} | {Median(bareTimes, s => s.HostReady):N0} |");
        Console.WriteLine($"| ratio app/bare (medians) | {Median(appTimes, s => s.FirstOk) / Median(bareTimes, s => s.FirstOk):N2} | | | {Median(appTimes, s => s.HostReady) / Median(bareTimes, s => s.HostReady):N2} |");
        return 0;
    }

    /// <summary>Milliseconds from the worker's start to the host being ready (every function loaded, HTTP listening) and to the first 200.</summary>
    private sealed record Start(double HostReady, double FirstOk);

    /// <summary>Starts a local Functions host for <paramref name="appDirectory"/>, polls until the first 200, stops it.</summary>
    private static async Task<Start> TimeStartAsync(HttpClient http, string appDirectory)
    {
        var port = FreePort();
        var launcher = new TimedLauncher();
        var options = new LocalHostOptions
        {
            AppDirectory = appDirectory,
            Urls = [$"http://127.0.0.1:{port}"],
            Settings = Settings,
            RunTimersOnSchedule = false,
            StartupTimeout = StartTimeout,
        };
        using var timeout = new CancellationTokenSource(StartTimeout);
        var starting = StartHostAsync(options, launcher, timeout.Token);
        var health = new Uri($"http://127.0.0.1:{port}/api/health");
        try
        {
            // The host's own start (its gRPC server) is not the worker's: the clock starts with the worker process.
            if (await Task.WhenAny(launcher.Started, starting) != launcher.Started)
            {
                await starting;
                throw new InvalidOperationException($"The host for {appDirectory} started without a worker.");
            }

            var workerStarted = await launcher.Started;
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync(health, timeout.Token);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        var firstOk = Stopwatch.GetElapsedTime(workerStarted).TotalMilliseconds;
                        var (_, ready) = await starting;
                        return new Start(Stopwatch.GetElapsedTime(workerStarted, ready).TotalMilliseconds, firstOk);
                    }
                }
                catch (HttpRequestException)
                {
                    // The host listens only once the worker has loaded every function: connection refused until then.
                }

                if (starting.IsFaulted)
                {
                    // The host's message carries the worker's last lines.
                    await starting;
                }

                await Task.Delay(PollInterval, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new InvalidOperationException($"{appDirectory} did not answer {health} within {StartTimeout.TotalSeconds:N0} s.");
        }
        finally
        {
            // Stopped before the next start, so that it does not run beside it.
            if (starting.IsCompletedSuccessfully)
            {
                await (await starting).Host.DisposeAsync();
            }
            else
            {
                await timeout.CancelAsync();
                await Task.WhenAny(starting);
            }
        }
    }

    private static async Task<(LocalFunctionsHost Host, long Ready)> StartHostAsync(LocalHostOptions options, IWorkerLauncher launcher, CancellationToken cancellationToken)
    {
        var host = await LocalFunctionsHost.StartAsync(options, launcher, cancellationToken: cancellationToken);
        return (host, Stopwatch.GetTimestamp());
    }

    /// <summary>Starts worker processes as the host does, noting when.</summary>
    private sealed class TimedLauncher : IWorkerLauncher
    {
        private readonly ProcessWorkerLauncher _processes = new();
        private readonly TaskCompletionSource<long> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The <see cref="Stopwatch"/> timestamp at which the worker process was started.</summary>
        public Task<long> Started => _started.Task;

        public async Task<IFunctionsWorker> StartAsync(WorkerStartInfo start, CancellationToken cancellationToken)
        {
            var timestamp = Stopwatch.GetTimestamp();
            var worker = await _processes.StartAsync(start, cancellationToken);
            _started.TrySetResult(timestamp);
            return worker;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static double Median(List<Start> starts, Func<Start, double> value)
    {
        var sorted = starts.Select(value).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
