using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using PartnerBase.Core;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Core.Webhooks;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Webhooks;

namespace PartnerBase.Benchmarks;

/// <summary>
/// Webhook delivery (CONTRACT §11) through the app's relay, in-memory topic, <c>webhooks</c> subscription and
/// <see cref="WebhookFunctions.DeliverWebhooks"/> itself (drain while <see cref="WebhookDispatcher.SendDueAsync"/>
/// sends, the app's named HTTP client with its connect-time address check), to ten receivers on 127.0.0.1 (Kestrel,
/// in process), each endpoint subscribed to "*". Mixed runs: one receiver answers after ~1 s, one answers 500, the
/// other eight answer 200 at once; the comparison run has all ten answer 200 at once. Throughput: 10,000 payout
/// events (5,000 payouts created and approved) = 100,000 deliveries, DeliverWebhooks on Development's schedule
/// (every second, one run at a time). Latency: commit (the payout's <c>updatedAt</c>, saved in the store) to first
/// attempt at a healthy receiver, relay and DeliverWebhooks on Development's schedules.
/// </summary>
public static class Webhooks
{
    private const int ThroughputPayouts = 5_000;
    private const int ThroughputEvents = ThroughputPayouts * 2;
    private const int ReceiverCount = 10;
    private const string OrgId = "org_webhooks";
    private static readonly Currency Usd = Currency.Parse("USD");
    private static readonly TimeSpan ThroughputBudget = TimeSpan.FromSeconds(150);
    private static readonly TimeSpan LatencyBudget = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan EverySecond = TimeSpan.FromSeconds(1);

    // Latency: 20 payouts a second for 15 s, each created and approved: 600 events (fewer than the throughput
    // runs' 10,000, to keep the whole benchmark within about 3 minutes on 2 cores).
    private const int LatencyPerSecond = 20;
    private const int LatencySeconds = 15;
    private const int LatencyEvents = LatencyPerSecond * LatencySeconds * 2;

    public static async Task<int> RunAsync()
    {
        var total = Stopwatch.StartNew();
        var receivers = new List<Receiver>();
        for (var i = 0; i < ReceiverCount; i++)
        {
            receivers.Add(await Receiver.StartAsync());
        }

        try
        {
            // JIT and connection warm-up: a few hundred deliveries, not measured.
            await ThroughputAsync(receivers, mixed: false, payouts: 100);
            var healthy = await ThroughputAsync(receivers, mixed: false, ThroughputPayouts);
            var mixed = await ThroughputAsync(receivers, mixed: true, ThroughputPayouts);
            var latencyMixed = await LatencyAsync(receivers, mixed: true);
            var latencyHealthy = await LatencyAsync(receivers, mixed: false);

            var rows = new List<(string, string)>
            {
                ($"all 10 healthy: deliveries of {ThroughputEvents:N0} events to 10 receivers", $"{healthy.Delivered:N0} in {healthy.Seconds:F1} s = {healthy.Delivered / healthy.Seconds:N0}/s"),
                ("all 10 healthy: deliveries per second per receiver (mean; slowest)", $"{healthy.PerHealthy.Average():N0}/s; {healthy.PerHealthy.Min():N0}/s"),
                ($"1 slow (~1 s) + 1 failing (500) + 8 healthy: attempts at all receivers until the 8 healthy had all {ThroughputEvents:N0}", $"{mixed.Delivered:N0} in {mixed.Seconds:F1} s = {mixed.Delivered / mixed.Seconds:N0}/s"),
                ("… of which to the 8 healthy receivers", $"{ThroughputEvents * 8:N0} = {ThroughputEvents * 8 / mixed.Seconds:N0}/s"),
                ("… of which to the slow receiver (at most 4 under way)", $"{mixed.Slow:N0} = {mixed.Slow / mixed.Seconds:N1}/s"),
                ("… of which to the failing receiver (first attempts + retries after 5 s)", $"{mixed.Failing:N0} = {mixed.Failing / mixed.Seconds:N0}/s"),
                ("mixed: deliveries per second per healthy receiver (mean; slowest)", $"{mixed.PerHealthy.Average():N0}/s; {mixed.PerHealthy.Min():N0}/s"),
                ("healthy receiver's rate, mixed ÷ all healthy (mean per receiver)", $"{mixed.PerHealthy.Average() / healthy.PerHealthy.Average():F2}"),
                ("process CPU per delivery attempt: app, HTTP client and receivers (all healthy; mixed)", $"{healthy.Cpu.TotalMilliseconds / healthy.Delivered:F2} ms; {mixed.Cpu.TotalMilliseconds / mixed.Delivered:F2} ms"),
                ("throughput, all healthy: the sender's due-delivery queries (store.GetDueWebhookDeliveriesAsync)", healthy.DueQueries.Describe(healthy.Seconds)),
                ("throughput, mixed: the sender's due-delivery queries", mixed.DueQueries.Describe(mixed.Seconds)),
                ("throughput: DeliverWebhooks runs, all healthy", Runs(healthy.Runs)),
                ("throughput: DeliverWebhooks runs, mixed", Runs(mixed.Runs)),
                (latencyMixed.Label, latencyMixed.Figure),
                ("… DeliverWebhooks runs meanwhile", Runs(latencyMixed.Runs)),
                (latencyHealthy.Label, latencyHealthy.Figure),
                ("… DeliverWebhooks runs meanwhile", Runs(latencyHealthy.Runs)),
            };
            Console.WriteLine($"Webhooks ({DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores; in-memory store and topic, the app's relay, DeliverWebhooks and HTTP client; 10 Kestrel receivers on 127.0.0.1; {total.Elapsed.TotalSeconds:F0} s in all)");
            Console.WriteLine();
            Console.WriteLine("| measure | figure |");
            Console.WriteLine("|---|---:|");
            foreach (var (measure, figure) in rows)
            {
                Console.WriteLine($"| {measure} | {figure} |");
            }

            Console.WriteLine();
            Console.WriteLine("Throughput: the events relayed first, then DeliverWebhooks every second (one run at a time, its 20 s budget), timed from its first run until the healthy receivers had every event.");
            Console.WriteLine($"Latency: {LatencyEvents:N0} events ({LatencyPerSecond} payouts/s for {LatencySeconds} s, each created and approved) rather than {ThroughputEvents:N0}, to keep the run short; relay and DeliverWebhooks every second, one run at a time each.");
        }
        finally
        {
            foreach (var receiver in receivers)
            {
                await receiver.DisposeAsync();
            }
        }

        return 0;
    }

    private sealed record ThroughputResult(int Delivered, double Seconds, List<double> PerHealthy, int Slow, int Failing, List<TimeSpan> Runs, TimeSpan Cpu, DueQueries DueQueries);

    private sealed record LatencyResult(string Label, string Figure, List<TimeSpan> Runs);

    private static async Task<ThroughputResult> ThroughputAsync(List<Receiver> receivers, bool mixed, int payouts)
    {
        var events = payouts * 2;
        var app = await App.CreateAsync(receivers, mixed);
        await ChangePayoutsAsync(app, payouts);
        while (await app.Relay.RelayAsync(CancellationToken.None) > 0)
        {
        }

        using var stop = new CancellationTokenSource();
        var runs = new List<TimeSpan>();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        var deliver = EverySecondAsync(() => app.DeliverWebhooksAsync(stop.Token), stop.Token, runs, runAtOnce: true);
        var healthy = receivers.Where(r => r.Behaviour == Behaviour.Ok).ToList();
        while (healthy.Any(r => r.Distinct < events) && clock.Elapsed < ThroughputBudget)
        {
            await Task.Delay(20);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        app.DueQueries.Stop();
        var delivered = receivers.Sum(r => r.Requests);
        var slow = receivers.Where(r => r.Behaviour == Behaviour.Slow).Sum(r => r.Requests);
        var failing = receivers.Where(r => r.Behaviour == Behaviour.Fail).Sum(r => r.Requests);
        await stop.CancelAsync();
        await deliver;
        var perHealthy = healthy.Select(r => r.Distinct / ((r.LastAt ?? DateTimeOffset.UtcNow) - started).TotalSeconds).ToList();
        if (healthy.Any(r => r.Distinct < events))
        {
            Console.Error.WriteLine($"webhooks: the healthy receivers got {healthy.Min(r => r.Distinct):N0} of {events:N0} events in {ThroughputBudget.TotalSeconds:F0} s.");
        }

        return new ThroughputResult(delivered, seconds, perHealthy, slow, failing, runs, cpu, app.DueQueries);
    }

    private static async Task<LatencyResult> LatencyAsync(List<Receiver> receivers, bool mixed)
    {
        var app = await App.CreateAsync(receivers, mixed, keepBodies: true);
        using var stop = new CancellationTokenSource();
        var runs = new List<TimeSpan>();
        var timers = new[]
        {
            EverySecondAsync(async () => await app.Relay.RelayAsync(stop.Token), stop.Token),
            EverySecondAsync(() => app.DeliverWebhooksAsync(stop.Token), stop.Token, runs),
        };

        var service = new PayoutService(app.Store, TimeProvider.System);
        for (var i = 0; i < LatencyPerSecond * LatencySeconds; i++)
        {
            await ChangePayoutAsync(service, i);
            await Task.Delay(1000 / LatencyPerSecond);
        }

        var healthy = receivers.Where(r => r.Behaviour == Behaviour.Ok).ToList();
        var clock = Stopwatch.StartNew();
        while (healthy.Any(r => r.Distinct < LatencyEvents) && clock.Elapsed < LatencyBudget)
        {
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await Task.WhenAll(timers);
        var sorted = healthy.SelectMany(r => r.Latencies()).Order().ToList();
        var missing = healthy.Count * LatencyEvents - sorted.Count;
        var label = mixed
            ? $"commit → first attempt at a healthy receiver, 1 slow + 1 failing present ({LatencyEvents:N0} events × 8 healthy receivers)"
            : $"commit → first attempt at a receiver, all 10 healthy ({LatencyEvents:N0} events × 10 receivers)";
        var figure = sorted.Count == 0
            ? "none arrived"
            : $"p50 {Percentile(sorted, 0.50):N0} ms, p99 {Percentile(sorted, 0.99):N0} ms, max {sorted[^1]:N0} ms" + (missing > 0 ? $" ({missing:N0} not arrived in {LatencyBudget.TotalSeconds:F0} s)" : "");
        return new LatencyResult(label, figure, runs);
    }

    private static async Task ChangePayoutsAsync(App app, int count)
    {
        var service = new PayoutService(app.Store, TimeProvider.System);
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) => await ChangePayoutAsync(service, i));
    }

    private static async Task ChangePayoutAsync(PayoutService service, int i)
    {
        var created = (await service.CreateAsync(new NewPayout(OrgId, "p1", new Money(1_000 + i, Usd), Period.Month(2026, 11), null, null), Actor.User("manager"))).Value;
        _ = (await service.ChangeAsync(OrgId, created.Id, null, (payout, now) => payout.Approve(Actor.User("approver"), ApprovalPolicy.Default, now))).Value;
    }

    /// <summary>
    /// A function on a one-second schedule: one run at a time, an occurrence missed while it runs is skipped.
    /// <paramref name="runAtOnce"/>: the first run at once rather than a second later (the throughput runs' clock starts
    /// with it); <paramref name="durations"/>: how long each run that ended took.
    /// </summary>
    private static async Task EverySecondAsync(Func<Task> run, CancellationToken cancellationToken, List<TimeSpan>? durations = null, bool runAtOnce = false)
    {
        using var timer = new PeriodicTimer(EverySecond);
        try
        {
            if (runAtOnce)
            {
                await TimedAsync();
            }

            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await TimedAsync();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        async Task TimedAsync()
        {
            var started = Stopwatch.GetTimestamp();
            await run();
            durations?.Add(Stopwatch.GetElapsedTime(started));
        }
    }

    private static string Runs(List<TimeSpan> runs) =>
        runs.Count == 0 ? "none ended" : $"{runs.Count} ended, mean {runs.Average(r => r.TotalSeconds):F1} s, longest {runs.Max().TotalSeconds:F1} s";

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>The app's event and webhook services over a new in-memory store, the endpoints made as the API makes them.</summary>
    private sealed class App
    {
        private readonly WebhookFunctions _functions;

        private App(IPayoutStore store, EventRelay relay, WebhookFunctions functions, DueQueries dueQueries)
        {
            Store = store;
            Relay = relay;
            _functions = functions;
            DueQueries = dueQueries;
        }

        public IPayoutStore Store { get; }

        public DueQueries DueQueries { get; }

        public EventRelay Relay { get; }

        public Task DeliverWebhooksAsync(CancellationToken cancellationToken) => _functions.DeliverWebhooks(new TimerInfo(), cancellationToken);

        public static async Task<App> CreateAsync(List<Receiver> receivers, bool mixed, bool keepBodies = false)
        {
            var memory = new InMemoryPayoutStore(TimeProvider.System);
            var dueQueries = new DueQueries();
            var store = DueQueryCounter.Wrap(memory, dueQueries);
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton<IPayoutStore>(store);
            services.AddSingleton<PayoutService>();
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Webhooks:AllowPrivateNetworks"] = "true",
                    ["Webhooks:AllowHttp"] = "true",
                })
                .Build();
            services.AddSingleton<IConfiguration>(configuration);
            var development = new HostingEnvironment { EnvironmentName = Environments.Development };
            services.AddPayoutEvents(configuration, development);
            services.AddWebhooks(configuration, development);

            // Signing secrets protected by an in-memory key ring rather than the app's blob-stored one: the benchmark
            // measures delivery, not the storage account, and needs no Azurite this way.
            services.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider());
            var provider = services.BuildServiceProvider();

            var now = TimeProvider.System.GetUtcNow();
            await memory.TryCreatePartnerAsync(new Partner("p1", OrgId, "Partner", "p@example.com", 1000, Usd, null, now, now, 1));
            var secrets = provider.GetRequiredService<WebhookSecrets>();
            for (var i = 0; i < receivers.Count; i++)
            {
                var behaviour = !mixed ? Behaviour.Ok : i == 0 ? Behaviour.Slow : i == 1 ? Behaviour.Fail : Behaviour.Ok;
                receivers[i].Reset(behaviour, keepBodies);
                var (_, protectedSecret) = secrets.Create();
                var endpoint = new WebhookEndpoint(
                    OrgId, PayoutService.NewId("we_"), receivers[i].Url, [WebhookEndpoint.AllEvents], $"receiver {i} ({behaviour})",
                    WebhookEndpointStatus.Enabled, null, protectedSecret, null, null, null, now, now, 1);
                if (!await store.TrySaveWebhookEndpointAsync(endpoint))
                {
                    throw new InvalidOperationException("The endpoint was not saved.");
                }
            }

            return new App(store, provider.GetRequiredService<EventRelay>(), ActivatorUtilities.CreateInstance<WebhookFunctions>(provider), dueQueries);
        }
    }

    private enum Behaviour
    {
        Ok,
        Slow,
        Fail,
    }

    /// <summary>A receiver on 127.0.0.1: answers 200 at once, 200 after ~1 s, or 500; notes each webhook-id's first arrival.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private ConcurrentDictionary<string, (DateTimeOffset At, string? Body)> _first = new(StringComparer.Ordinal);
        private int _requests;
        private long _lastTicks;
        private bool _keepBodies;

        private Receiver(WebApplication app) => _app = app;

        public Behaviour Behaviour { get; private set; }

        public string Url { get; private set; } = "";

        public int Requests => Volatile.Read(ref _requests);

        public int Distinct => _first.Count;

        public DateTimeOffset? LastAt => Interlocked.Read(ref _lastTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

        public void Reset(Behaviour behaviour, bool keepBodies)
        {
            Behaviour = behaviour;
            _keepBodies = keepBodies;
            _first = new ConcurrentDictionary<string, (DateTimeOffset, string?)>(StringComparer.Ordinal);
            Interlocked.Exchange(ref _requests, 0);
            Interlocked.Exchange(ref _lastTicks, 0);
        }

        /// <summary>Milliseconds from each event's commit (the payout's updatedAt) to its first arrival here.</summary>
        public IEnumerable<double> Latencies() => _first.Values.Select(first =>
        {
            using var body = JsonDocument.Parse(first.Body!);
            var committed = body.RootElement.GetProperty("data").GetProperty("payout").GetProperty("updatedAt").GetDateTimeOffset();
            return (first.At - committed).TotalMilliseconds;
        });

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.MapPost("/hook", receiver.HandleAsync);
            await app.StartAsync();
            receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/hook";
            return receiver;
        }

        private async Task HandleAsync(HttpContext context)
        {
            var at = DateTimeOffset.UtcNow;
            string? body = null;
            if (_keepBodies)
            {
                using var reader = new StreamReader(context.Request.Body);
                body = await reader.ReadToEndAsync(context.RequestAborted);
            }
            else
            {
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            }

            var id = context.Request.Headers["webhook-id"].ToString();
            Interlocked.Increment(ref _requests);
            if (_first.TryAdd(id, (at, body)))
            {
                // The latest first arrival so far.
                for (var last = Interlocked.Read(ref _lastTicks); last < at.UtcTicks; last = Interlocked.Read(ref _lastTicks))
                {
                    if (Interlocked.CompareExchange(ref _lastTicks, at.UtcTicks, last) == last)
                    {
                        break;
                    }
                }
            }

            switch (Behaviour)
            {
                case Behaviour.Slow:
                    await Task.Delay(1000, context.RequestAborted);
                    context.Response.StatusCode = StatusCodes.Status200OK;
                    break;
                case Behaviour.Fail:
                    context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                    break;
                default:
                    context.Response.StatusCode = StatusCodes.Status200OK;
                    break;
            }
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}

/// <summary>The sender's due-delivery queries during a throughput run: how many, how many found nothing, time in them.</summary>
internal sealed class DueQueries
{
    private long _calls;
    private long _empty;
    private long _ticks;
    private volatile bool _stopped;

    public void Add(TimeSpan elapsed, bool empty)
    {
        if (_stopped)
        {
            return;
        }

        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _ticks, elapsed.Ticks);
        if (empty)
        {
            Interlocked.Increment(ref _empty);
        }
    }

    /// <summary>Counts no more (the run's clock stopped).</summary>
    public void Stop() => _stopped = true;

    public string Describe(double seconds) =>
        $"{_calls:N0} ({_empty:N0} found nothing) = {_calls / seconds:N0}/s; {TimeSpan.FromTicks(_ticks).TotalSeconds:F1} s in them of {seconds:F1} s";
}

/// <summary>
/// The store as the app sees it, timing <see cref="IPayoutStore.GetDueWebhookDeliveriesAsync"/> (the in-memory store
/// answers it synchronously, so the call's own time is the query's); every other call passes straight through.
/// </summary>
#pragma warning disable CA1852 // DispatchProxy derives from it.
internal class DueQueryCounter : System.Reflection.DispatchProxy
#pragma warning restore CA1852
{
    private IPayoutStore _inner = null!;
    private DueQueries _queries = null!;

    public static IPayoutStore Wrap(IPayoutStore inner, DueQueries queries)
    {
        var store = Create<IPayoutStore, DueQueryCounter>();
        var counter = (DueQueryCounter)(object)store;
        counter._inner = inner;
        counter._queries = queries;
        return store;
    }

    protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
    {
        var started = Stopwatch.GetTimestamp();
        object? result;
        try
        {
            result = targetMethod!.Invoke(_inner, args);
        }
        catch (System.Reflection.TargetInvocationException exception) when (exception.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception.InnerException);
            throw;
        }

        if (targetMethod.Name == nameof(IPayoutStore.GetDueWebhookDeliveriesAsync) && result is Task<IReadOnlyList<WebhookDelivery>> { IsCompletedSuccessfully: true } due)
        {
            _queries.Add(Stopwatch.GetElapsedTime(started), due.Result.Count == 0);
        }

        return result;
    }
}
