using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using PartnerBase.FunctionsLocal;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// The Function App as the tests run it: the real isolated worker, built inside this process by
/// WebApplicationFactory (so tests can replace its services), started and served by the local Functions host on a
/// loopback port. Requests go client → host (routing, invocation over gRPC) → worker, as in Azure.
/// </summary>
public sealed class FunctionApp : IAsyncDisposable
{
    public const string EverySecond = "* * * * * *";

    private readonly LocalFunctionsHost _host;
    private readonly InProcessWorkers<Program> _workers;

    private FunctionApp(LocalFunctionsHost host, InProcessWorkers<Program> workers)
    {
        _host = host;
        _workers = workers;
    }

    public LocalFunctionsHost Host => _host;

    /// <summary>The worker's services (the store, the clock, …).</summary>
    public IServiceProvider Services => _workers.Current!.Services;

    public Uri BaseAddress => _host.Addresses[0];

    /// <param name="configure">Settings and service replacements for the worker, as with WebApplicationFactory.</param>
    /// <param name="environment">The worker's environment (AZURE_FUNCTIONS_ENVIRONMENT): Development, as under dotnet run.</param>
    /// <param name="corsOrigins">The origins the host allows, as the Function App's CORS setting would.</param>
    /// <param name="runTimers">Whether the host fires the timers (the event relay and consumers every second, as under dotnet run).</param>
    /// <param name="settings">App settings over the defaults below (e.g. <c>AzureWebJobsStorage</c>, a schedule).</param>
    /// <param name="loggerFactory">The host's logger factory (the worker's logs reach it too).</param>
    /// <param name="timerLockPeriod">With <c>AzureWebJobsStorage</c>: <see cref="LocalHostOptions.TimerLockPeriod"/>.</param>
    /// <param name="timerLockRetryInterval">With <c>AzureWebJobsStorage</c>: <see cref="LocalHostOptions.TimerLockRetryInterval"/>.</param>
    public static async Task<FunctionApp> StartAsync(
        Action<IWebHostBuilder>? configure = null,
        string environment = "Development",
        IReadOnlyList<string>? corsOrigins = null,
        bool runTimers = false,
        IReadOnlyDictionary<string, string>? settings = null,
        ILoggerFactory? loggerFactory = null,
        TimeSpan? timerLockPeriod = null,
        TimeSpan? timerLockRetryInterval = null)
    {
        var hostSettings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = environment,
            ["CommissionRunSchedule"] = "0 0 2 1 * *",
            ["EventRelaySchedule"] = EverySecond,
            ["PaymentsSchedule"] = EverySecond,
            ["NotificationsSchedule"] = EverySecond,
            ["WebhooksSchedule"] = EverySecond,
            ["StatementsSchedule"] = "0 0 4 1 * *",
            ["ReconciliationSchedule"] = "0 30 3 * * *",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            hostSettings[name] = value;
        }

        var workers = new InProcessWorkers<Program>(configure);
        var options = new LocalHostOptions
        {
            AppDirectory = AppContext.BaseDirectory,
            Urls = ["http://127.0.0.1:0"],
            CorsOrigins = corsOrigins ?? [],
            Settings = hostSettings,
            RunTimersOnSchedule = runTimers,
            TimerLockPeriod = timerLockPeriod ?? TimeSpan.FromSeconds(60),
            TimerLockRetryInterval = timerLockRetryInterval ?? TimeSpan.FromSeconds(60),
        };
        var host = await LocalFunctionsHost.StartAsync(options, workers, loggerFactory, TestContext.Current.CancellationToken);
        return new FunctionApp(host, workers);
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
    }
}
