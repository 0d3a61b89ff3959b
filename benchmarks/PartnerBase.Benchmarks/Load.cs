using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace PartnerBase.Benchmarks;

/// <summary>
/// HTTP load against the app under the local Functions host (host and worker processes) on the embedded store:
/// requests/s and p50/p99 latency per scenario, each with its ratio to a bare function in the same worker, measured
/// side by side in the same run (so the machine's noise, and what the host and the worker cost every request, cancel).
/// </summary>
public static class Load
{
    private const int Concurrency = 32;
    private const int DefaultSeconds = 10;
    private const int StatsPayouts = 10_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var duration = TimeSpan.FromSeconds(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : DefaultSeconds);
        await using var app = await AppProcess.StartAsync();
        const string orgId = "org_load";
        var manager = app.Client(orgId, "manager", ["manager"]);
        var approver = app.Client(orgId, "approver", ["approver"]);
        var viewer = app.Client(orgId, "viewer", ["viewer"]);
        await Expect(manager.PostAsJsonAsync("/api/partners", new { id = "p1", name = "Partner", email = "p@example.com", commissionRateBps = 1000 }));
        var seeding = Stopwatch.StartNew();
        var ids = await CreatePayoutsAsync(manager, StatsPayouts);
        var pending = await CreatePayoutsAsync(manager, 60_000);
        Console.Error.WriteLine($"Seeded {StatsPayouts + pending.Count:N0} payouts in {seeding.Elapsed.TotalSeconds:F0} s.");

        // The seeding's events go through the event relay and the consumers, a batch per timer run: measured only once
        // they are through, so that no scenario pays for them.
        var settling = await app.WaitForIdleAsync();
        Console.Error.WriteLine($"The app's timers relayed and consumed the seeding's events in {settling.TotalSeconds:F0} s more.");

        var next = -1;
        var scenarios = new (string Name, HttpClient Client, Func<HttpClient, Task<HttpResponseMessage>> Call)[]
        {
            ("bare function (GET /api/bench/bare: anonymous, small JSON)", viewer, c => c.GetAsync("/api/bench/bare")),
            ("GET /api/payouts/{id}", viewer, c => c.GetAsync($"/api/payouts/{ids[Random.Shared.Next(ids.Count)]}")),
            ("GET /api/payouts?limit=25 (list page)", viewer, c => c.GetAsync("/api/payouts?limit=25")),
            ("POST /api/payouts/{id}/approve (fresh payouts)", approver, c =>
            {
                var index = Interlocked.Increment(ref next);
                return index < pending.Count ? c.PostAsync($"/api/payouts/{pending[index]}/approve", null) : Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.Gone));
            }),
            ($"GET /api/payouts/stats ({StatsPayouts + pending.Count:N0} payouts)", viewer, c => c.GetAsync("/api/payouts/stats")),
        };

        // A short warm-up of every scenario (JIT, connection pools), then the measured runs side by side.
        foreach (var (_, client, call) in scenarios.Where(s => !s.Name.StartsWith("POST", StringComparison.Ordinal)))
        {
            await MeasureAsync(client, call, TimeSpan.FromSeconds(1));
        }

        // The approvals last: their events keep the relay and the consumers busy for a while after them.
        var results = new (string Name, Result Result)[scenarios.Length];
        foreach (var index in Enumerable.Range(0, scenarios.Length).OrderBy(index => scenarios[index].Name.StartsWith("POST", StringComparison.Ordinal)))
        {
            var (name, client, call) = scenarios[index];
            results[index] = (name, await MeasureAsync(client, call, duration));
        }

        var bare = results[0].Result.RequestsPerSecond;
        Console.WriteLine($"HTTP load through the local Functions host: {Concurrency} keep-alive connections, {duration.TotalSeconds:F0} s per scenario, driver, host and worker on this machine ({Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd})");
        Console.WriteLine();
        Console.WriteLine("| scenario | requests/s | p50 ms | p99 ms | errors | ratio to bare |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (name, result) in results)
        {
            Console.WriteLine($"| {name} | {result.RequestsPerSecond:N0} | {result.P50:F2} | {result.P99:F2} | {result.Errors} | {result.RequestsPerSecond / bare:F2} |");
        }

        return results.Sum(r => r.Result.Errors) == 0 ? 0 : 1;
    }

    public sealed record Result(double RequestsPerSecond, double P50, double P99, long Errors, long Requests);

    /// <summary><see cref="Concurrency"/> workers calling back to back for <paramref name="duration"/>.</summary>
    public static async Task<Result> MeasureAsync(HttpClient client, Func<HttpClient, Task<HttpResponseMessage>> call, TimeSpan duration)
    {
        var latencies = new List<double>[Concurrency];
        long errors = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Concurrency).Select(async worker =>
        {
            var mine = latencies[worker] = new List<double>(100_000);
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await call(client);
                await response.Content.LoadIntoBufferAsync();
                if (response.StatusCode == System.Net.HttpStatusCode.Gone)
                {
                    return;
                }

                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }).ToList();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Result(all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.99), errors, all.Length);
    }

    public static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    public static async Task<List<string>> CreatePayoutsAsync(HttpClient manager, int count)
    {
        var ids = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, token) =>
        {
            var response = await Expect(manager.PostAsJsonAsync("/api/payouts", new { partnerId = "p1", amount = 1_000 + i, currency = "USD", period = "2026-10" }, token));
            ids[i] = (await response.Content.ReadFromJsonAsync<JsonObject>(token))!["id"]!.GetValue<string>();
        });
        return [.. ids];
    }

    public static async Task<HttpResponseMessage> Expect(Task<HttpResponseMessage> call)
    {
        var response = await call;
        return response.IsSuccessStatusCode
            ? response
            : throw new InvalidOperationException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
