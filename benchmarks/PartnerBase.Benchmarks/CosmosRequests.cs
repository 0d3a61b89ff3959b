using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PartnerBase.Core;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.CosmosLocal;
using PartnerBase.Functions.Cosmos;

namespace PartnerBase.Benchmarks;

/// <summary>
/// Cosmos DB requests per API operation, counted on the Cosmos client's HTTP pipeline (Gateway mode) while the
/// real HTTP pipeline runs in-process. Against the local Cosmos-protocol server, or COSMOS_ENDPOINT/COSMOS_KEY.
/// Counts, not times: they are the same on any machine.
/// </summary>
public static class CosmosRequests
{
    private const int LargeOrganization = 10_000;

    // The local server sorts its whole document set for every ORDER BY page (JavaScript, no index), so the export
    // is measured on a smaller organization; its cost is one request per 1,000 payouts either way.
    private const int ExportOrganization = 2_000;

    public static async Task<int> RunAsync()
    {
        await using var local = Environment.GetEnvironmentVariable("COSMOS_ENDPOINT") is null ? await LocalCosmosServer.StartAsync() : null;
        var settings = new Dictionary<string, string>
        {
            ["Storage:Provider"] = "cosmos",
            ["Cosmos:Endpoint"] = local?.Endpoint ?? Environment.GetEnvironmentVariable("COSMOS_ENDPOINT")!,
            ["Cosmos:Key"] = local is null ? Environment.GetEnvironmentVariable("COSMOS_KEY") ?? "" : LocalCosmosServer.Key,
            ["Cosmos:Database"] = "partnerbase-bench-" + Guid.NewGuid().ToString("N")[..6],
            ["Cosmos:CreateIfMissing"] = "true",
            ["Cosmos:DisableServerCertificateValidation"] = (local is not null).ToString(),
        };
        await using var app = await BenchmarkApp.StartAsync(settings);
        var counter = app.Services.GetRequiredService<CosmosRequestCounter>();
        var rows = new List<(string Operation, string Requests)>();

        // A warm-up round in another organization: the client's first calls also fetch account and container metadata.
        await RunOperationsAsync(app, "org_warmup", (_, _) => { });
        await RunOperationsAsync(app, "org_bench", (name, requests) => rows.Add((name, requests.ToString(System.Globalization.CultureInfo.InvariantCulture))));

        var large = "org_large";
        var seedTime = Stopwatch.StartNew();
        await SeedAsync(app.Services.GetRequiredService<IPayoutStore>(), large, LargeOrganization);
        var viewer = app.ClientFor(large, "viewer", "viewer");
        rows.Add(($"stats, {LargeOrganization:N0} payouts", (await CountAsync(counter, () => viewer.GetAsync("/api/payouts/stats"))).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        rows.Add(($"stats filtered by partner, {LargeOrganization:N0} payouts", (await CountAsync(counter, () => viewer.GetAsync("/api/payouts/stats?partnerId=p7"))).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        rows.Add(($"list page (25), {LargeOrganization:N0} payouts", (await CountAsync(counter, () => viewer.GetAsync("/api/payouts?limit=25"))).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await SeedAsync(app.Services.GetRequiredService<IPayoutStore>(), "org_export", ExportOrganization);
        var exporter = app.ClientFor("org_export", "viewer", "viewer");
        rows.Add(($"export, {ExportOrganization:N0} payouts of 100 partners", (await CountAsync(counter, () => exporter.GetAsync("/api/payouts/export"))).ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Console.WriteLine($"Cosmos DB requests per operation ({(local is null ? "COSMOS_ENDPOINT" : "local Cosmos-protocol server")}, Gateway mode, warm client; seeding {LargeOrganization:N0} payouts took {seedTime.Elapsed.TotalSeconds:F0} s)");
        Console.WriteLine();
        Console.WriteLine("| operation | Cosmos requests |");
        Console.WriteLine("|---|---:|");
        foreach (var (operation, requests) in rows)
        {
            Console.WriteLine($"| {operation} | {requests} |");
        }

        return 0;
    }

    private static async Task RunOperationsAsync(BenchmarkApp app, string orgId, Action<string, long> report)
    {
        var counter = app.Services.GetRequiredService<CosmosRequestCounter>();
        var manager = app.ClientFor(orgId, "manager", "manager");
        var approver = app.ClientFor(orgId, "approver", "approver");
        var finance = app.ClientFor(orgId, "finance", "finance");
        await Ok(manager.PostAsJsonAsync("/api/partners", new { id = "p1", name = "Partner", email = "p@example.com", commissionRateBps = 1000 }));

        var body = new { partnerId = "p1", amount = 10_000, currency = "USD", period = "2026-07" };
        report("create payout (first for its partner)", await CountAsync(counter, () => manager.PostAsJsonAsync("/api/payouts", body)));
        string id = "";
        report("create payout", await CountAsync(counter, async () =>
        {
            var response = await Ok(manager.PostAsJsonAsync("/api/payouts", body));
            id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
            return response;
        }));
        report("create payout with Idempotency-Key", await CountAsync(counter, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/payouts") { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            return manager.SendAsync(request);
        }));
        report("get payout", await CountAsync(counter, () => manager.GetAsync($"/api/payouts/{id}")));
        report("approve", await CountAsync(counter, () => approver.PostAsync($"/api/payouts/{id}/approve", null)));
        report("mark-processing", await CountAsync(counter, () => finance.PostAsync($"/api/payouts/{id}/mark-processing", null)));
        report("mark-paid", await CountAsync(counter, () => finance.PostAsync($"/api/payouts/{id}/mark-paid", null)));
        report("list page", await CountAsync(counter, () => manager.GetAsync("/api/payouts?limit=25")));
        report("list page with expand=partner", await CountAsync(counter, () => manager.GetAsync("/api/payouts?limit=25&expand=partner")));
        report("audit log page", await CountAsync(counter, () => manager.GetAsync($"/api/audit-log?payoutId={id}")));
        report("partner payout summary", await CountAsync(counter, () => manager.GetAsync("/api/partners/p1/payout-summary")));
        foreach (var n in new[] { 10, 50 })
        {
            var ids = new List<string>();
            for (var i = 0; i < n; i++)
            {
                var response = await Ok(manager.PostAsJsonAsync("/api/payouts", body));
                ids.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
            }

            report($"bulk-approve of {n}", await CountAsync(counter, () => approver.PostAsJsonAsync("/api/payouts/bulk-approve", new { payoutIds = ids })));
        }
    }

    private static async Task<long> CountAsync(CosmosRequestCounter counter, Func<Task<HttpResponseMessage>> operation)
    {
        var before = counter.Count;
        using var response = await Ok(operation());
        await response.Content.ReadAsByteArrayAsync();
        return counter.Count - before;
    }

    private static async Task<HttpResponseMessage> Ok(Task<HttpResponseMessage> call)
    {
        var response = await call;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return response;
    }

    private static async Task SeedAsync(IPayoutStore store, string orgId, int count)
    {
        var usd = Currency.Parse("USD");
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        for (var p = 0; p < 100; p++)
        {
            await store.TryCreatePartnerAsync(new Partner($"p{p}", orgId, $"Partner {p}", "p@example.com", 1000, usd, null, start, start, 1));
        }

        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var draft = new PayoutDraft($"po_seed_{i:D6}", orgId, $"p{i % 100}", new Money(1_000 + i, usd), Period.Month(2026, 7), null, null);
            var created = Payout.Create(draft, Actor.User("seed"), start.AddSeconds(i));
            await store.TrySaveChangeAsync(created, null, ct);
        });
    }
}
