using System.Diagnostics;
using System.Net.Sockets;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging.Abstractions;
using PartnerBase.FunctionsLocal.Rpc;

namespace PartnerBase.FunctionsLocal;

/// <summary>
/// A local stand-in for the Azure Functions host: starts a .NET isolated worker, loads its functions over the
/// host's gRPC protocol, serves its HTTP functions and runs its timers.
/// </summary>
public sealed class LocalFunctionsHost : IAsyncDisposable
{
    private const string HostVersion = "4.0.0-local";

    private static readonly TimeSpan TerminateGracePeriod = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ServerStopTimeout = TimeSpan.FromSeconds(5);

    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly string _workerId;
    private readonly WorkerChannel _channel;
    private readonly TaskCompletionSource<int> _workerExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _rpcServer;
    private IFunctionsWorker? _worker;
    private TriggerRunner? _triggers;
    private TimerStorage? _timerStorage;
    private HttpFront? _front;
    private DevelopmentSignIn? _signIn;
    private volatile bool _started;
    private int _stopping;

    private LocalFunctionsHost(ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Host");
        _workerId = Guid.NewGuid().ToString();
        _channel = new WorkerChannel(_workerId, loggerFactory);
    }

    /// <summary>Where the HTTP front listens, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public IReadOnlyList<Uri> Addresses => _front?.Addresses ?? [];

    public Uri BaseAddress => Addresses[0];

    public IReadOnlyList<LocalFunction> Functions { get; private set; } = [];

    /// <summary>Whether a console is served at <c>/</c> (<see cref="LocalHostOptions.ConsoleDirectory"/>).</summary>
    public bool ServesConsole { get; private set; }

    /// <summary>Whether <c>/.auth</c> signs users in: a console is served and the environment is Development.</summary>
    public bool SignInEnabled => _signIn is not null;

    /// <summary>Completes with the worker's exit code when it stops: on its own (a crash) or through <see cref="DisposeAsync"/>.</summary>
    public Task<int> WorkerExited => _workerExited.Task;

    /// <summary>Starts the worker and waits until every function is loaded and the HTTP front listens.</summary>
    /// <exception cref="InvalidOperationException">The worker exited, failed the handshake, or took longer than the start-up timeout; the message carries its last lines.</exception>
    public static async Task<LocalFunctionsHost> StartAsync(
        LocalHostOptions options,
        IWorkerLauncher launcher,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(launcher);
        var host = new LocalFunctionsHost(loggerFactory ?? NullLoggerFactory.Instance);
        try
        {
            await host.StartCoreAsync(options, launcher, cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a non-HTTP function once (a timer gets a fresh TimerInfo; others get <paramref name="input"/> as a string) and waits for its result.</summary>
    public Task<InvocationResult> InvokeAsync(string functionName, string? input = null, CancellationToken cancellationToken = default) =>
        _triggers is { } triggers
            ? triggers.RunAsync(functionName, input, "This function was programmatically called via the host APIs.", cancellationToken)
            : throw new InvalidOperationException("The host has not started.");

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 1)
        {
            return;
        }

        if (_triggers is not null)
        {
            await _triggers.DisposeAsync();
        }

        if (_front is not null)
        {
            await _front.DisposeAsync();
        }

        if (_worker is not null)
        {
            if (!_worker.Exited.IsCompleted && _channel.Connected.IsCompletedSuccessfully)
            {
                // Without it the worker keeps the stream open and its own graceful stop hangs (AZURE-FACTS.md).
                _channel.Send(new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = Duration.FromTimeSpan(TerminateGracePeriod) } });
                await Task.WhenAny(_worker.Exited, Task.Delay(TerminateGracePeriod));
            }

            await _worker.DisposeAsync();
        }

        _channel.Close();
        if (_rpcServer is not null)
        {
            using var stopTimeout = new CancellationTokenSource(ServerStopTimeout);
            await _rpcServer.StopAsync(stopTimeout.Token);
            await _rpcServer.DisposeAsync();
        }

        _channel.Dispose();
        _signIn?.Dispose();
        if (_timerStorage is not null)
        {
            await _timerStorage.DisposeAsync();
        }

        _workerExited.TrySetResult(_worker?.Exited.IsCompletedSuccessfully == true ? _worker.Exited.Result : -1);
    }

    private async Task StartCoreAsync(LocalHostOptions options, IWorkerLauncher launcher, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var appDirectory = Path.GetFullPath(options.AppDirectory);
        if (!Directory.Exists(appDirectory))
        {
            throw new DirectoryNotFoundException($"The app folder {appDirectory} does not exist.");
        }

        var settings = AppSettings.Load(appDirectory, options.Settings);
        var environment = WorkerEnvironment(appDirectory, settings);
        var console = LocalConsole.Find(options.ConsoleDirectory, settings.RoutePrefix, _logger);
        if (console is not null && string.Equals(environment["AZURE_FUNCTIONS_ENVIRONMENT"], "Development", StringComparison.OrdinalIgnoreCase))
        {
            // Before the worker starts: a key created in its user secrets must be there when it reads them.
            _signIn = UserJwtsKey.Resolve(environment, options.UserSecretsId, _logger) is { } key ? new DevelopmentSignIn(key) : null;
        }

        using var startup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        startup.CancelAfter(options.StartupTimeout);

        // Before the worker, so that Azurite answers when the app starts too (it may use the same storage).
        _timerStorage = await TimerStorage.CreateAsync(settings, appDirectory, options, _logger, startup.Token);
        if (_timerStorage is not null)
        {
            _logger.TimerStorageUsed(_timerStorage.HostId);
        }

        _rpcServer = await WorkerChannel.StartServerAsync(_channel, _loggerFactory, startup.Token);
        var endpoint = new Uri(_rpcServer.Urls.First() + "/");
        var start = new WorkerStartInfo(endpoint, _workerId, Guid.NewGuid().ToString(), appDirectory, environment);
        _worker = await launcher.StartAsync(start, startup.Token);
        _ = ObserveWorkerAsync(_worker);

        await StepAsync(_channel.Connected, "waiting for the worker to connect", options, startup.Token, cancellationToken);

        var initializing = _channel.InitializeAsync(new WorkerInitRequest
        {
            HostVersion = HostVersion,
            WorkerDirectory = appDirectory,
            FunctionAppDirectory = appDirectory,
            // The Functions host always offers MultiStream (GrpcWorkerChannel.SendWorkerInitRequest).
            Capabilities = { ["MultiStream"] = "10" },
        });
        await StepAsync(initializing, "initializing the worker", options, startup.Token, cancellationToken);
        var init = await initializing;
        if (init.Result?.Status == StatusResult.Types.Status.Failure)
        {
            throw Failure($"The worker failed to initialize: {init.Result.Describe()}");
        }

        var indexing = _channel.GetFunctionMetadataAsync(appDirectory);
        await StepAsync(indexing, "indexing the functions", options, startup.Token, cancellationToken);
        var functions = FunctionIndex.Create(await indexing, settings);

        var loading = Task.WhenAll(functions.Select(f => _channel.LoadAsync(f.LoadRequest)));
        await StepAsync(loading, "loading the functions", options, startup.Token, cancellationToken);
        foreach (var (function, loaded) in functions.Zip(await loading))
        {
            if (loaded.Result?.Status != StatusResult.Types.Status.Success)
            {
                throw Failure($"The worker failed to load function {function.Info.Name}: {loaded.Result.Describe()}");
            }
        }

        var hasHttp = functions.Any(f => f.Info.Kind == FunctionKind.Http);
        Uri? httpUri = init.Capabilities.TryGetValue("HttpUri", out var advertised) ? new Uri(advertised) : null;
        if (hasHttp && httpUri is null && _worker.HttpHandler is null)
        {
            throw Failure("The worker has HTTP functions but did not advertise HttpUri; this host only forwards HTTP to the worker's own "
                + "server, which ConfigureFunctionsWebApplication() (Microsoft.Azure.Functions.Worker.Extensions.Http.AspNetCore) sets up.");
        }

        if (hasHttp && _worker.HttpHandler is null)
        {
            await StepAsync(WaitForListenerAsync(httpUri!, startup.Token), "waiting for the worker's HTTP server", options, startup.Token, cancellationToken);
        }

        _triggers = new TriggerRunner(functions, _channel, _timerStorage, _loggerFactory.CreateLogger("Host.Triggers"));
        _front = await HttpFront.StartAsync(
            Urls(options, settings),
            options.CorsOrigins.Count > 0 ? options.CorsOrigins : settings.CorsOrigins,
            settings.CorsCredentials,
            functions,
            _channel,
            _triggers,
            httpUri ?? new Uri("http://localhost/"),
            _worker.HttpHandler,
            console,
            _signIn,
            _loggerFactory,
            startup.Token);
        Functions = [.. functions.Select(f => f.Info)];
        ServesConsole = console is not null;
        if (options.RunTimersOnSchedule)
        {
            _triggers.StartSchedules();
        }

        _started = true;
        var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var addresses = string.Join(", ", Addresses);
        _logger.HostStarted(elapsed, functions.Count, addresses);
    }

    private static Dictionary<string, string> WorkerEnvironment(string appDirectory, AppSettings settings)
    {
        var environment = new Dictionary<string, string>(settings.Values, StringComparer.OrdinalIgnoreCase)
        {
            ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated",
            ["FUNCTIONS_APPLICATION_DIRECTORY"] = appDirectory,
        };
        environment["AZURE_FUNCTIONS_ENVIRONMENT"] = new[]
            {
                settings.Values.GetValueOrDefault("AZURE_FUNCTIONS_ENVIRONMENT"),
                Environment.GetEnvironmentVariable("AZURE_FUNCTIONS_ENVIRONMENT"),
                Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT"),
                Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT"),
            }
            .FirstOrDefault(value => !string.IsNullOrEmpty(value)) ?? "Production";
        return environment;
    }

    private static IReadOnlyList<string> Urls(LocalHostOptions options, AppSettings settings) =>
        options.Urls.Count > 0 ? options.Urls
        : settings.LocalHttpPort is { } port ? [$"http://localhost:{port}"]
        : Environment.GetEnvironmentVariable("ASPNETCORE_URLS") is { Length: > 0 } urls ? urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        : ["http://localhost:7071"];

    // The worker advertises HttpUri before its Kestrel listens; the Functions host retries its first requests
    // instead (RetryProxyHandler), this host waits once at start.
    private static async Task WaitForListenerAsync(Uri uri, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(uri.Host, uri.Port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    private async Task StepAsync(Task step, string what, LocalHostOptions options, CancellationToken startup, CancellationToken caller)
    {
        var exited = _worker!.Exited;
        try
        {
            var finished = await Task.WhenAny(step, exited).WaitAsync(startup);
            if (finished == exited)
            {
                throw Failure($"The worker exited with code {await exited} while {what}.");
            }

            await step;
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            throw Failure($"Timed out after {options.StartupTimeout.TotalSeconds:0}s while {what}.");
        }
        catch (IOException e)
        {
            // The stream breaks a moment before the process is gone and its last output is read.
            var exitedToo = await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(2))) == exited;
            throw Failure(exitedToo ? $"The worker exited with code {await exited} while {what}." : $"{e.Message} ({what})");
        }
    }

    private InvalidOperationException Failure(string message) =>
        new($"{message}{Environment.NewLine}{DescribeRecentLines()}");

    private string DescribeRecentLines()
    {
        var lines = RecentLines();
        return lines.Count == 0
            ? "The worker wrote nothing."
            : $"The worker's last lines:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}";
    }

    // A process worker's console has what its logs miss (a crash's stack trace); the gRPC logs are the fallback.
    private IReadOnlyList<string> RecentLines()
    {
        var output = (_worker as IWorkerOutput)?.RecentOutput ?? [];
        return output.Count > 0 ? output : _channel.RecentLogs;
    }

    private async Task ObserveWorkerAsync(IFunctionsWorker worker)
    {
        int exitCode;
        try
        {
            exitCode = await worker.Exited;
        }
        catch (Exception e)
        {
            _logger.WorkerExitFailed(e);
            exitCode = -1;
        }

        if (_started && Volatile.Read(ref _stopping) == 0)
        {
            var lines = RecentLines();
            _logger.WorkerDied(exitCode, lines.Count == 0 ? "It wrote nothing." : "Its last lines:");
            foreach (var line in lines)
            {
                _logger.WorkerLastLine(line);
            }
        }

        _workerExited.TrySetResult(exitCode);
    }
}
