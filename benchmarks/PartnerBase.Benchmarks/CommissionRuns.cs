using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using PartnerBase.Core;
using PartnerBase.Core.Commissions;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payments;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Reconciliation;
using PartnerBase.Core.Statements;
using PartnerBase.Core.Storage;
using PartnerBase.Core.Webhooks;

namespace PartnerBase.Benchmarks;

/// <summary>
/// Commission runs on the embedded store. Two measurements:
/// 1. throughput — 1,000,000 attributions across 10,000 partners, ingested and then settled by one run;
/// 2. the run's own memory — the same run against a store that generates its attributions as they are read
///    (so the store holds none), at 1,000,000 and 10,000,000: peak managed heap above the baseline stays flat
///    because the run keeps one total per partner and currency, never a list of attributions.
/// </summary>
public static class CommissionRuns
{
    private const int Partners = 10_000;
    private static readonly Period Period = Period.Month(2026, 10);
    private static readonly Currency Usd = Currency.Parse("USD");

    public static async Task<int> RunAsync()
    {
        var time = new FixedTime(new DateTimeOffset(2026, 11, 15, 0, 0, 0, TimeSpan.Zero));
        // Memory first, while the heap holds nothing else.
        var small = await RunMemoryAsync(time, 1_000_000);
        var large = await RunMemoryAsync(time, 10_000_000);
        var throughput = await ThroughputAsync(time, 1_000_000);

        Console.WriteLine($"Commission runs on the embedded store ({Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd})");
        Console.WriteLine();
        Console.WriteLine("| measurement | attributions | result |");
        Console.WriteLine("|---|---:|---|");
        Console.WriteLine($"| ingest (POST /api/attributions batches of 1,000) | 1,000,000 | {throughput.IngestPerSecond:N0} attributions/s |");
        Console.WriteLine($"| run: plan + settle into {throughput.Payouts:N0} payouts | 1,000,000 | {throughput.RunPerSecond:N0} attributions/s |");
        Console.WriteLine($"| run's peak managed memory above baseline | 1,000,000 | {small.PeakMiB:N1} MiB ({small.PerSecond:N0} attributions/s) |");
        Console.WriteLine($"| run's peak managed memory above baseline | 10,000,000 | {large.PeakMiB:N1} MiB ({large.PerSecond:N0} attributions/s) |");
        Console.WriteLine();
        Console.WriteLine($"10x the attributions: the run's memory went from {small.PeakMiB:N1} MiB to {large.PeakMiB:N1} MiB; it holds one total per partner and currency ({Partners:N0} partners).");
        return 0;
    }

    /// <summary>
    /// Cosmos DB requests of ingestion and of a run at two sizes, on the local Cosmos-protocol server (or
    /// COSMOS_ENDPOINT/COSMOS_KEY): what one more attribution costs.
    /// </summary>
    public static async Task<int> RunCosmosAsync()
    {
        await using var local = Environment.GetEnvironmentVariable("COSMOS_ENDPOINT") is null ? await CosmosLocal.LocalCosmosServer.StartAsync() : null;
        var counter = new Functions.Cosmos.CosmosRequestCounter();
        var options = new Functions.Cosmos.CosmosOptions
        {
            Endpoint = local?.Endpoint ?? Environment.GetEnvironmentVariable("COSMOS_ENDPOINT"),
            Key = local is null ? Environment.GetEnvironmentVariable("COSMOS_KEY") : CosmosLocal.LocalCosmosServer.Key,
            DisableServerCertificateValidation = local is not null,
        };
        using var client = Functions.Cosmos.CosmosServices.CreateClient(options, counter, isDevelopment: true);
        var database = (await client.CreateDatabaseIfNotExistsAsync("partnerbase-bench-" + Guid.NewGuid().ToString("N")[..6])).Database;
        var container = (await database.CreateContainerIfNotExistsAsync(Functions.Cosmos.CosmosServices.PayoutsContainer("payouts"))).Container;
        var time = new FixedTime(new DateTimeOffset(2026, 11, 15, 0, 0, 0, TimeSpan.Zero));
        var store = new Functions.Cosmos.CosmosPayoutStore(container, time);
        var rows = new List<string>();
        foreach (var (attributions, partners) in new[] { (1_000, 10), (4_000, 40) })
        {
            var orgId = $"org_cosmos_{attributions}";
            var now = time.GetUtcNow();
            for (var p = 0; p < partners; p++)
            {
                await store.TryCreatePartnerAsync(new Partner(PartnerId(p), orgId, $"Partner {p}", "p@example.com", 1000, Usd, null, now, now, 1));
            }

            var service = new CommissionService(store, time);
            var before = counter.Count;
            foreach (var batch in Enumerable.Range(0, attributions).Select(i => Input(i) with { PartnerId = PartnerId(i % partners) }).Chunk(CommissionService.MaxAttributionsPerRequest))
            {
                _ = (await service.IngestAsync(orgId, batch)).Value;
            }

            var ingest = counter.Count - before;
            before = counter.Count;
            var run = (await service.RunAsync(orgId, Period, dryRun: false)).Value;
            var settle = counter.Count - before;
            rows.Add($"| {attributions:N0} | {partners} | {run.Payouts.Count} | {ingest:N0} ({(double)ingest / attributions:N3}/attribution) | {settle:N0} ({(double)settle / attributions:N3}/attribution) |");
        }

        await database.DeleteAsync();
        Console.WriteLine($"Commission runs on Cosmos DB ({(local is null ? "COSMOS_ENDPOINT" : "local Cosmos-protocol server")}, Gateway mode): requests");
        Console.WriteLine();
        Console.WriteLine("| attributions | partners | payouts | ingest requests | run requests |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        rows.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine("Per attribution: ingestion writes it once (plus one read query per batch of 1,000); a run reads it in two");
        Console.WriteLine("streamed passes (one request per 1,000) and writes its claim once; per partner and currency a run adds a few");
        Console.WriteLine("requests (the payout's two documents, the sum of its lines), and the lease a few per run.");
        return 0;
    }

    private static async Task<(double IngestPerSecond, double RunPerSecond, int Payouts)> ThroughputAsync(TimeProvider time, int attributions)
    {
        var store = new InMemoryPayoutStore(time);
        const string orgId = "org_bench";
        await SeedPartnersAsync(store, orgId, time);
        var service = new CommissionService(store, time);
        var clock = Stopwatch.StartNew();
        foreach (var batch in Enumerable.Range(0, attributions).Select(i => Input(i)).Chunk(CommissionService.MaxAttributionsPerRequest))
        {
            _ = (await service.IngestAsync(orgId, batch)).Value;
        }

        var ingest = attributions / clock.Elapsed.TotalSeconds;
        clock.Restart();
        var run = (await service.RunAsync(orgId, Period, dryRun: false)).Value;
        return (ingest, attributions / clock.Elapsed.TotalSeconds, run.Payouts.Count);
    }

    private static async Task<(double PeakMiB, double PerSecond)> RunMemoryAsync(TimeProvider time, int attributions)
    {
        var store = new GeneratedAttributions(new InMemoryPayoutStore(time), attributions);
        await SeedPartnersAsync(store, "org_memory", time);
        var service = new CommissionService(store, time);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                // Live memory, not garbage: the sample waits for a full collection.
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
                await Task.Delay(10);
            }
        });
        var clock = Stopwatch.StartNew();
        var run = (await service.RunAsync("org_memory", Period, dryRun: false)).Value;
        var seconds = clock.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        // Once more at the end, which a short run can finish between samples: the payouts it made are kept.
        peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
        if (run.Payouts.Sum(p => (long)p.AttributionCount) != attributions)
        {
            throw new InvalidOperationException("The run did not settle every generated attribution.");
        }

        return (peak / 1024.0 / 1024.0, attributions / seconds);
    }

    private static async Task SeedPartnersAsync(IPayoutStore store, string orgId, TimeProvider time)
    {
        var now = time.GetUtcNow();
        for (var p = 0; p < Partners; p++)
        {
            await store.TryCreatePartnerAsync(new Partner(PartnerId(p), orgId, $"Partner {p}", "p@example.com", 500 + (p % 20 * 100), Usd, null, now, now, 1));
        }

        await store.TrySaveOrganizationAsync(new OrganizationSettings(orgId, new Dictionary<string, long> { ["USD"] = 1_000 }, false, [], 1));
    }

    private static AttributionInput Input(int i) => new(
        string.Create(CultureInfo.InvariantCulture, $"at_{i:D9}"),
        PartnerId(i % Partners),
        string.Create(CultureInfo.InvariantCulture, $"deal_{i}"),
        new Money(10_000 + (i % 9_973), Usd),
        Period.Start.AddMinutes(i % 40_000),
        AttributionStatus.Won);

    private static string PartnerId(int p) => string.Create(CultureInfo.InvariantCulture, $"p{p:D5}");

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    /// <summary>
    /// The embedded store, except that its due attributions are generated as they are read and claims are only
    /// summed: it holds no attributions, so what the run itself keeps is all that grows.
    /// </summary>
    private sealed class GeneratedAttributions(InMemoryPayoutStore inner, int count) : IPayoutStore
    {
        private readonly Dictionary<string, (long Commission, int Lines)> _settled = new(StringComparer.Ordinal);

        public async IAsyncEnumerable<Attribution> GetDueAttributionsAsync(string orgId, DateTimeOffset periodEnd, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var now = DateTimeOffset.UnixEpoch;
            for (var i = 0; i < count; i++)
            {
                var input = Input(i);
                yield return new Attribution(input.Id, orgId, input.PartnerId, input.DealId, input.AttributedAmount, input.ClosedAt, input.Status, null, null, now, 1);

                if (i % 100_000 == 0)
                {
                    await Task.Yield();
                }
            }
        }

        public Task<bool> TrySaveAttributionAsync(Attribution attribution, Attribution? current, CancellationToken cancellationToken = default)
        {
            // Claims only: record the line's total (the run reads it back to size the payout), keep nothing per attribution.
            var line = attribution.Settlement!;
            var (commission, lines) = _settled.GetValueOrDefault(line.PayoutId);
            _settled[line.PayoutId] = (commission + line.Commission, lines + 1);
            return Task.FromResult(true);
        }

        public IAsyncEnumerable<Attribution> GetSettledAttributionsAsync(string orgId, string payoutId, CancellationToken cancellationToken = default) =>
            inner.GetSettledAttributionsAsync(orgId, payoutId, cancellationToken);

        public IAsyncEnumerable<Payout> GetPaidPayoutsAsync(string orgId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
            inner.GetPaidPayoutsAsync(orgId, from, to, cancellationToken);

        public Task<Page<StatementEntry>> ListStatementsAsync(string orgId, string partnerId, PageRequest page, CancellationToken cancellationToken = default) =>
            inner.ListStatementsAsync(orgId, partnerId, page, cancellationToken);

        public Task<Page<ReconciliationEntry>> ListReconciliationsAsync(string orgId, PageRequest page, CancellationToken cancellationToken = default) =>
            inner.ListReconciliationsAsync(orgId, page, cancellationToken);

        public Task<ProviderTransfer?> GetTransferAsync(string orgId, string transferId, CancellationToken cancellationToken = default) =>
            inner.GetTransferAsync(orgId, transferId, cancellationToken);

        public IAsyncEnumerable<ProviderTransfer> GetTransfersAsync(string orgId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
            inner.GetTransfersAsync(orgId, from, to, cancellationToken);

        public Task<IReadOnlyList<WebhookEndpoint>> ListWebhookEndpointsAsync(string orgId, CancellationToken cancellationToken = default) =>
            inner.ListWebhookEndpointsAsync(orgId, cancellationToken);

        public Task<WebhookEndpoint?> GetWebhookEndpointAsync(string orgId, string endpointId, CancellationToken cancellationToken = default) =>
            inner.GetWebhookEndpointAsync(orgId, endpointId, cancellationToken);

        public Task<bool> TrySaveWebhookEndpointAsync(WebhookEndpoint endpoint, CancellationToken cancellationToken = default) =>
            inner.TrySaveWebhookEndpointAsync(endpoint, cancellationToken);

        public Task<bool> DeleteWebhookEndpointAsync(string orgId, string endpointId, CancellationToken cancellationToken = default) =>
            inner.DeleteWebhookEndpointAsync(orgId, endpointId, cancellationToken);

        public Task<WebhookDelivery?> GetWebhookDeliveryAsync(string orgId, string deliveryId, CancellationToken cancellationToken = default) =>
            inner.GetWebhookDeliveryAsync(orgId, deliveryId, cancellationToken);

        public Task<bool> TrySaveWebhookDeliveryAsync(WebhookDelivery delivery, CancellationToken cancellationToken = default) =>
            inner.TrySaveWebhookDeliveryAsync(delivery, cancellationToken);

        public Task<Page<WebhookDelivery>> ListWebhookDeliveriesAsync(string orgId, string endpointId, PageRequest page, CancellationToken cancellationToken = default) =>
            inner.ListWebhookDeliveriesAsync(orgId, endpointId, page, cancellationToken);

        public Task<IReadOnlyList<WebhookDelivery>> GetDueWebhookDeliveriesAsync(DateTimeOffset now, IReadOnlyCollection<string> exceptEndpoints, int max, CancellationToken cancellationToken = default) =>
            inner.GetDueWebhookDeliveriesAsync(now, exceptEndpoints, max, cancellationToken);

        public Task SaveStatementAsync(StatementEntry entry, CancellationToken cancellationToken = default) =>
            inner.SaveStatementAsync(entry, cancellationToken);

        public Task SaveReconciliationAsync(ReconciliationEntry entry, CancellationToken cancellationToken = default) =>
            inner.SaveReconciliationAsync(entry, cancellationToken);

        public Task<bool> TryAddTransferAsync(string orgId, ProviderTransfer transfer, CancellationToken cancellationToken = default) =>
            inner.TryAddTransferAsync(orgId, transfer, cancellationToken);

        public Task SaveTransferAsync(string orgId, ProviderTransfer transfer, CancellationToken cancellationToken = default) =>
            inner.SaveTransferAsync(orgId, transfer, cancellationToken);

        public Task<(long Commission, int Lines)> GetSettledLinesAsync(string orgId, string payoutId, CancellationToken cancellationToken = default) =>
            Task.FromResult(_settled.GetValueOrDefault(payoutId));

        public Task<IReadOnlyList<Attribution>> GetAttributionsAsync(string orgId, IReadOnlyCollection<string> attributionIds, CancellationToken cancellationToken = default) => inner.GetAttributionsAsync(orgId, attributionIds, cancellationToken);
        public Task<Payout?> GetPayoutAsync(string orgId, string payoutId, CancellationToken cancellationToken = default) => inner.GetPayoutAsync(orgId, payoutId, cancellationToken);
        public Task<bool> TrySaveChangeAsync(PayoutEvent change, Payout? current, CancellationToken cancellationToken = default) => inner.TrySaveChangeAsync(change, current, cancellationToken);
        public Task<Page<Payout>> ListPayoutsAsync(string orgId, PayoutFilter filter, PageRequest page, CancellationToken cancellationToken = default) => inner.ListPayoutsAsync(orgId, filter, page, cancellationToken);
        public Task<IReadOnlyList<PayoutTotal>> GetPayoutTotalsAsync(string orgId, PayoutFilter filter, CancellationToken cancellationToken = default) => inner.GetPayoutTotalsAsync(orgId, filter, cancellationToken);
        public Task<Payout?> GetLastPaidPayoutAsync(string orgId, string partnerId, CancellationToken cancellationToken = default) => inner.GetLastPaidPayoutAsync(orgId, partnerId, cancellationToken);
        public Task<Page<PayoutEvent>> ListEventsAsync(string orgId, string? payoutId, PageRequest page, CancellationToken cancellationToken = default) => inner.ListEventsAsync(orgId, payoutId, page, cancellationToken);
        public Task<IReadOnlyList<PayoutEvent>> GetPayoutEventsAsync(string orgId, string payoutId, long afterVersion = 0, CancellationToken cancellationToken = default) => inner.GetPayoutEventsAsync(orgId, payoutId, afterVersion, cancellationToken);
        public Task<Partner?> GetPartnerAsync(string orgId, string partnerId, CancellationToken cancellationToken = default) => inner.GetPartnerAsync(orgId, partnerId, cancellationToken);
        public Task<IReadOnlyList<Partner>> GetPartnersAsync(string orgId, IReadOnlyCollection<string> partnerIds, CancellationToken cancellationToken = default) => inner.GetPartnersAsync(orgId, partnerIds, cancellationToken);
        public Task<Page<Partner>> ListPartnersAsync(string orgId, PageRequest page, CancellationToken cancellationToken = default) => inner.ListPartnersAsync(orgId, page, cancellationToken);
        public Task<bool> TryCreatePartnerAsync(Partner partner, CancellationToken cancellationToken = default) => inner.TryCreatePartnerAsync(partner, cancellationToken);
        public Task<bool> TryUpdatePartnerAsync(Partner partner, CancellationToken cancellationToken = default) => inner.TryUpdatePartnerAsync(partner, cancellationToken);
        public Task<OrganizationSettings?> GetOrganizationAsync(string orgId, CancellationToken cancellationToken = default) => inner.GetOrganizationAsync(orgId, cancellationToken);
        public Task<bool> TrySaveOrganizationAsync(OrganizationSettings settings, CancellationToken cancellationToken = default) => inner.TrySaveOrganizationAsync(settings, cancellationToken);
        public Task<IdempotencyRecord?> GetIdempotencyRecordAsync(string orgId, string key, CancellationToken cancellationToken = default) => inner.GetIdempotencyRecordAsync(orgId, key, cancellationToken);
        public Task<bool> TryCreateIdempotencyRecordAsync(IdempotencyRecord record, CancellationToken cancellationToken = default) => inner.TryCreateIdempotencyRecordAsync(record, cancellationToken);
        public Task CompleteIdempotencyRecordAsync(IdempotencyRecord record, CancellationToken cancellationToken = default) => inner.CompleteIdempotencyRecordAsync(record, cancellationToken);
        public Task DeleteIdempotencyRecordAsync(string orgId, string key, CancellationToken cancellationToken = default) => inner.DeleteIdempotencyRecordAsync(orgId, key, cancellationToken);
        public Task<bool> IsEventHandledAsync(string orgId, string consumer, string eventId, CancellationToken cancellationToken = default) => inner.IsEventHandledAsync(orgId, consumer, eventId, cancellationToken);
        public Task MarkEventHandledAsync(string orgId, string consumer, string eventId, CancellationToken cancellationToken = default) => inner.MarkEventHandledAsync(orgId, consumer, eventId, cancellationToken);
        public Task RegisterOrganizationAsync(string orgId, CancellationToken cancellationToken = default) => inner.RegisterOrganizationAsync(orgId, cancellationToken);
        public Task<IReadOnlyList<string>> GetOrganizationsAsync(CancellationToken cancellationToken = default) => inner.GetOrganizationsAsync(cancellationToken);

        public Task<EventLogPage> ReadEventLogAsync(string? position, int max, CancellationToken cancellationToken = default) => inner.ReadEventLogAsync(position, max, cancellationToken);

        public Task<string?> GetEventLogPositionAsync(string reader, CancellationToken cancellationToken = default) => inner.GetEventLogPositionAsync(reader, cancellationToken);

        public Task SaveEventLogPositionAsync(string reader, string position, CancellationToken cancellationToken = default) => inner.SaveEventLogPositionAsync(reader, position, cancellationToken);
        public Task<CommissionState?> GetCommissionStateAsync(string orgId, CancellationToken cancellationToken = default) => inner.GetCommissionStateAsync(orgId, cancellationToken);
        public Task<bool> TrySaveCommissionStateAsync(CommissionState state, CancellationToken cancellationToken = default) => inner.TrySaveCommissionStateAsync(state, cancellationToken);
    }
}
