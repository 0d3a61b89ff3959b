using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using PartnerBase.Core;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Cosmos;
using PartnerBase.Functions.Events;

namespace PartnerBase.Benchmarks;

/// <summary>
/// The event flow (issue: payout events through Service Bus) with the app's own relay, in-memory topic and
/// consumers (payments and notifications, real): events per second through relay → topic → both subscriptions for
/// 10,000 changed payouts; commit-to-consumer latency with the three functions on Development's schedules (every
/// second, one run at a time each, as the local host fires them); and Cosmos DB requests per relayed event.
/// </summary>
public static class EventFlow
{
    private const int Payouts = 10_000;
    private static readonly Currency Usd = Currency.Parse("USD");
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(5);

    public static async Task<int> RunAsync()
    {
        var throughput = await ThroughputAsync();
        var latency = await LatencyAsync();
        var cosmos = await CosmosRequestsPerEventAsync();
        Console.WriteLine($"Event flow ({DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores; in-memory store and topic, the app's relay and consumers)");
        Console.WriteLine();
        Console.WriteLine("| measure | figure |");
        Console.WriteLine("|---|---:|");
        foreach (var (measure, figure) in throughput.Concat(latency).Concat(cosmos))
        {
            Console.WriteLine($"| {measure} | {figure} |");
        }

        return 0;
    }

    private static async Task<List<(string, string)>> ThroughputAsync()
    {
        var flow = Flow.Create(new InMemoryPayoutStore(TimeProvider.System));
        await ChangePayoutsAsync(flow, "org_throughput", Payouts);
        var events = Payouts * 2;

        var clock = Stopwatch.StartNew();
        var relayed = 0;
        while (await flow.Relay.RelayAsync(CancellationToken.None) is > 0 and var sent)
        {
            relayed += sent;
        }

        var relayTime = clock.Elapsed;
        var payments = await DrainAsync(flow, Subscriptions.Payments);
        var paymentsTime = clock.Elapsed - relayTime;
        var notifications = await DrainAsync(flow, Subscriptions.Notifications);
        var notificationsTime = clock.Elapsed - relayTime - paymentsTime;
        return
        [
            ($"events relayed ({Payouts:N0} payouts created and approved)", $"{relayed:N0} in {relayTime.TotalSeconds:F2} s = {relayed / relayTime.TotalSeconds:N0}/s"),
            ("payments: messages consumed (approved only)", $"{payments:N0} in {paymentsTime.TotalSeconds:F2} s = {payments / paymentsTime.TotalSeconds:N0}/s"),
            ("notifications: messages consumed (all)", $"{notifications:N0} in {notificationsTime.TotalSeconds:F2} s = {notifications / notificationsTime.TotalSeconds:N0}/s"),
            ("end to end, commit log → both subscriptions consumed", $"{events / clock.Elapsed.TotalSeconds:N0} events/s"),
        ];
    }

    private static async Task<List<(string, string)>> LatencyAsync()
    {
        var flow = Flow.Create(new InMemoryPayoutStore(TimeProvider.System));
        using var stop = new CancellationTokenSource();
        var everySecond = TimeSpan.FromSeconds(1);
        var timers = new[]
        {
            EverySecondAsync(() => flow.Relay.RelayAsync(stop.Token), everySecond, stop.Token),
            EverySecondAsync(() => flow.Consumer.DrainAsync(Subscriptions.Payments, TimeSpan.FromSeconds(20), stop.Token), everySecond, stop.Token),
            EverySecondAsync(() => flow.Consumer.DrainAsync(Subscriptions.Notifications, TimeSpan.FromSeconds(20), stop.Token), everySecond, stop.Token),
        };

        // 20 payouts a second for 15 s, each created and approved: 600 events.
        const int perSecond = 20;
        const int seconds = 15;
        var service = new PayoutService(flow.Store, TimeProvider.System);
        await CreatePartnerAsync(flow.Store, "org_latency");
        for (var i = 0; i < perSecond * seconds; i++)
        {
            await ChangePayoutAsync(service, "org_latency", i);
            await Task.Delay(1000 / perSecond);
        }

        var clock = Stopwatch.StartNew();
        while (flow.Notifications.Latencies.Count < perSecond * seconds * 2 && clock.Elapsed < Budget)
        {
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await Task.WhenAll(timers);
        var sorted = flow.Notifications.Latencies.Order().ToList();
        return
        [
            ($"commit → notifications consumer, timers every second ({sorted.Count:N0} events)", $"p50 {Percentile(sorted, 0.50):N0} ms, p99 {Percentile(sorted, 0.99):N0} ms, max {sorted[^1]:N0} ms"),
        ];
    }

    private static async Task<List<(string, string)>> CosmosRequestsPerEventAsync()
    {
        await using var local = Environment.GetEnvironmentVariable("COSMOS_ENDPOINT") is null ? await CosmosLocal.LocalCosmosServer.StartAsync() : null;
        var counter = new CosmosRequestCounter();
        var options = new CosmosOptions
        {
            Endpoint = local?.Endpoint ?? Environment.GetEnvironmentVariable("COSMOS_ENDPOINT"),
            Key = local is null ? Environment.GetEnvironmentVariable("COSMOS_KEY") : CosmosLocal.LocalCosmosServer.Key,
            DisableServerCertificateValidation = local is not null,
        };
        using var client = CosmosServices.CreateClient(options, counter, isDevelopment: true);
        var database = (await client.CreateDatabaseIfNotExistsAsync("partnerbase-bench-" + Guid.NewGuid().ToString("N")[..6])).Database;
        var container = (await database.CreateContainerIfNotExistsAsync(CosmosServices.PayoutsContainer("payouts"))).Container;
        await database.CreateContainerIfNotExistsAsync(CosmosServices.LeasesContainerProperties());
        var flow = Flow.Create(new CosmosPayoutStore(container, TimeProvider.System));
        var rows = new List<(string, string)>();

        // Warm: the relay caught up once (client metadata fetched), then nothing new.
        await flow.Relay.RelayAsync(CancellationToken.None);
        var before = counter.Count;
        await flow.Relay.RelayAsync(CancellationToken.None);
        rows.Add(("Cosmos requests of a relay run with nothing new", (counter.Count - before).ToString(CultureInfo.InvariantCulture)));

        foreach (var payouts in new[] { 100, 1_000 })
        {
            await ChangePayoutsAsync(flow, $"org_cosmos_{payouts}", payouts);
            before = counter.Count;
            var relayed = 0;
            while (await flow.Relay.RelayAsync(CancellationToken.None) is > 0 and var sent)
            {
                relayed += sent;
            }

            var requests = counter.Count - before;
            rows.Add(($"Cosmos requests to relay {relayed:N0} events (change feed pages + position saves)", $"{requests:N0} = {(double)requests / relayed:F3}/event"));
        }

        await database.DeleteAsync();
        return rows;
    }

    private static async Task ChangePayoutsAsync(Flow flow, string orgId, int count)
    {
        await CreatePartnerAsync(flow.Store, orgId);
        var service = new PayoutService(flow.Store, TimeProvider.System);
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) => await ChangePayoutAsync(service, orgId, i));
    }

    private static async Task CreatePartnerAsync(IPayoutStore store, string orgId)
    {
        var now = TimeProvider.System.GetUtcNow();
        await store.TryCreatePartnerAsync(new Partner("p1", orgId, "Partner", "p@example.com", 1000, Usd, null, now, now, 1));
    }

    private static async Task ChangePayoutAsync(PayoutService service, string orgId, int i)
    {
        var created = (await service.CreateAsync(new NewPayout(orgId, "p1", new Money(1_000 + i, Usd), Period.Month(2026, 11), null, null), Actor.User("manager"))).Value;
        _ = (await service.ChangeAsync(orgId, created.Id, null, (payout, now) => payout.Approve(Actor.User("approver"), ApprovalPolicy.Default, now))).Value;
    }

    private static async Task<int> DrainAsync(Flow flow, string subscription)
    {
        var consumed = 0;
        while (await flow.Consumer.DrainAsync(subscription, TimeSpan.FromMinutes(1), CancellationToken.None) is > 0 and var completed)
        {
            consumed += completed;
        }

        return consumed;
    }

    /// <summary>A function on a one-second schedule: one run at a time, an occurrence missed while it runs is skipped.</summary>
    private static async Task EverySecondAsync(Func<Task> run, TimeSpan period, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await run();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>The app's event services over a store, the notifications consumer timed.</summary>
    private sealed record Flow(IPayoutStore Store, EventRelay Relay, SubscriptionConsumer Consumer, TimedConsumer Notifications)
    {
        public static Flow Create(IPayoutStore store)
        {
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton(store);
            services.AddSingleton<PayoutService>();
            var configuration = new ConfigurationBuilder().Build();
            services.AddSingleton<IConfiguration>(configuration);
            services.AddPayoutEvents(configuration, new HostingEnvironment { EnvironmentName = Environments.Development });
            var provider = services.BuildServiceProvider();
            var consumers = provider.GetServices<IPayoutEventConsumer>().ToList();
            var notifications = new TimedConsumer(consumers.Single(c => c.Name == Subscriptions.Notifications));
            var delivery = new EventDelivery([.. consumers.Where(c => c.Name != Subscriptions.Notifications), notifications], store);
            var topic = provider.GetRequiredService<IEventTopic>();
            return new Flow(store, provider.GetRequiredService<EventRelay>(), new SubscriptionConsumer(topic, delivery, NullLogger<SubscriptionConsumer>.Instance), notifications);
        }
    }

    /// <summary>The notifications consumer, noting how long after its commit each event reached it.</summary>
    private sealed class TimedConsumer(IPayoutEventConsumer inner) : IPayoutEventConsumer
    {
        public ConcurrentBag<double> Latencies { get; } = [];

        public string Name => inner.Name;

        public async Task HandleAsync(DeliveredEvent payoutEvent, CancellationToken cancellationToken)
        {
            var committed = payoutEvent.Data.GetProperty("payout").GetProperty("updatedAt").GetDateTimeOffset();
            await inner.HandleAsync(payoutEvent, cancellationToken);
            Latencies.Add((DateTimeOffset.UtcNow - committed).TotalMilliseconds);
        }
    }
}
