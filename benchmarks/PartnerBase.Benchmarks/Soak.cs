using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace PartnerBase.Benchmarks;

/// <summary>
/// Sustained mixed load at fixed concurrency and pace — 80% reads (get, list, stats), 20% writes (creates and
/// approvals) — through the local Functions host, reporting 5xx and other errors, p99 and the working sets of the worker
/// (the app, which holds the store) and the host over time, then reconciling the store against the driver's log of
/// acknowledged writes: nothing lost, nothing duplicated.
/// </summary>
public static class Soak
{
    // A steady ~100 requests/s: the embedded store keeps every write (about 1 KB of event and state), so the
    // working set may only grow by what the writes store; a faster pace measures data, not leaks.
    private const int Workers = 4;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(40);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(string[] args)
    {
        var duration = TimeSpan.FromSeconds(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300);
        await using var app = await AppProcess.StartAsync();
        const string orgId = "org_soak";
        var manager = app.Client(orgId, "manager", ["manager"]);
        var approver = app.Client(orgId, "approver", ["approver"]);
        var viewer = app.Client(orgId, "viewer", ["viewer"]);
        await Load.Expect(manager.PostAsJsonAsync("/api/partners", new { id = "p1", name = "Partner", email = "p@example.com", commissionRateBps = 1000 }));
        var seeded = await Load.CreatePayoutsAsync(manager, 10_000);

        var created = new ConcurrentDictionary<string, long>();
        var approved = new ConcurrentDictionary<string, byte>();
        var toApprove = new ConcurrentQueue<string>(seeded);
        var known = new ConcurrentBag<string>(seeded);
        var latencies = new ConcurrentQueue<(TimeSpan At, double Ms)>();
        long serverErrors = 0, otherErrors = 0, requests = 0;
        var clock = Stopwatch.StartNew();
        var total = WarmUp + duration;

        async Task WorkerAsync(int worker)
        {
            var random = new Random(worker);
            while (clock.Elapsed < total)
            {
                var pick = random.Next(100);
                var started = Stopwatch.GetTimestamp();
                HttpResponseMessage response;
                string? approving = null;
                long amount = 0;
                if (pick < 40)
                {
                    var ids = known.ToArray();
                    response = await viewer.GetAsync($"/api/payouts/{ids[random.Next(ids.Length)]}");
                }
                else if (pick < 60)
                {
                    response = await viewer.GetAsync("/api/payouts?limit=25");
                }
                else if (pick < 80)
                {
                    response = await viewer.GetAsync("/api/payouts/stats");
                }
                else if (pick < 90 || !toApprove.TryDequeue(out approving))
                {
                    amount = random.Next(1, 1_000_000);
                    response = await manager.PostAsJsonAsync("/api/payouts", new { partnerId = "p1", amount, currency = "USD", period = "2026-10" });
                }
                else
                {
                    response = await approver.PostAsync($"/api/payouts/{approving}/approve", null);
                }

                using (response)
                {
                    var body = await response.Content.ReadAsStringAsync();
                    latencies.Enqueue((clock.Elapsed, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
                    Interlocked.Increment(ref requests);
                    if ((int)response.StatusCode >= 500)
                    {
                        Interlocked.Increment(ref serverErrors);
                    }
                    else if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref otherErrors);
                    }
                    else if (approving is not null)
                    {
                        approved.TryAdd(approving, 0);
                    }
                    else if (amount > 0)
                    {
                        var id = JsonNode.Parse(body)!["id"]!.GetValue<string>();
                        created.TryAdd(id, amount);
                        known.Add(id);
                        toApprove.Enqueue(id);
                    }
                }

                await Task.Delay(Pause);
            }
        }

        var workers = Enumerable.Range(0, Workers).Select(WorkerAsync).ToList();
        Console.WriteLine($"Soak: {Workers} workers, {Pause.TotalMilliseconds:F0} ms pause, {WarmUp.TotalSeconds:F0} s warm-up then {duration.TotalMinutes:F1} min ({DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores)");
        Console.WriteLine();
        Console.WriteLine("| window end | requests/s | p99 ms | 5xx so far | worker working set MiB | host working set MiB |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        long startWorkingSet = 0, startHostWorkingSet = 0;
        for (var windowEnd = Window; windowEnd <= total + TimeSpan.FromSeconds(1); windowEnd += Window)
        {
            await Task.Delay(windowEnd - clock.Elapsed > TimeSpan.Zero ? windowEnd - clock.Elapsed : TimeSpan.Zero);
            var inWindow = latencies.Where(l => l.At > windowEnd - Window && l.At <= windowEnd).Select(l => l.Ms).Order().ToArray();
            var workingSet = app.WorkerWorkingSetBytes();
            var hostWorkingSet = app.HostWorkingSetBytes();
            if (windowEnd == WarmUp)
            {
                startWorkingSet = workingSet;
                startHostWorkingSet = hostWorkingSet;
            }

            Console.WriteLine($"| {windowEnd.TotalSeconds:F0} s{(windowEnd <= WarmUp ? " (warm-up)" : "")} | {inWindow.Length / Window.TotalSeconds:N0} | {Load.Percentile(inWindow, 0.99):F2} | {Interlocked.Read(ref serverErrors)} | {workingSet / 1024.0 / 1024.0:N0} | {hostWorkingSet / 1024.0 / 1024.0:N0} |");
        }

        await Task.WhenAll(workers);
        var endWorkingSet = app.WorkerWorkingSetBytes();
        var endHostWorkingSet = app.HostWorkingSetBytes();

        // Reconcile: every acknowledged write is in the store, exactly once.
        var missing = 0;
        var wrong = 0;
        foreach (var (id, amount) in created)
        {
            var response = await viewer.GetAsync($"/api/payouts/{id}");
            if (!response.IsSuccessStatusCode)
            {
                missing++;
                continue;
            }

            var payout = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if (payout["amount"]!.GetValue<long>() != amount || (approved.ContainsKey(id) != (payout["status"]!.GetValue<string>() == "approved")))
            {
                wrong++;
            }
        }

        var stored = 0;
        var distinct = new HashSet<string>();
        for (string? cursor = null; ;)
        {
            var page = JsonNode.Parse(await viewer.GetStringAsync($"/api/payouts?limit=100{(cursor is null ? "" : "&cursor=" + cursor)}"))!;
            foreach (var item in page["data"]!.AsArray())
            {
                stored++;
                distinct.Add(item!["id"]!.GetValue<string>());
            }

            cursor = page["nextCursor"]?.GetValue<string>();
            if (cursor is null)
            {
                break;
            }
        }

        var approvedSeeded = approved.Keys.Count(id => !created.ContainsKey(id));
        var duplicates = stored - distinct.Count;
        var unexplained = stored - (seeded.Count + created.Count);
        var growth = (double)(endWorkingSet - startWorkingSet) / startWorkingSet;
        Console.WriteLine();
        Console.WriteLine($"requests: {requests:N0}; 5xx: {serverErrors}; other errors: {otherErrors}");
        Console.WriteLine($"acknowledged creates: {created.Count:N0}, approvals: {approved.Count:N0} ({approvedSeeded:N0} of seeded payouts)");
        Console.WriteLine($"reconciliation: missing {missing}, wrong amount or status {wrong}, duplicates {duplicates}, stored but never acknowledged {unexplained}");
        var writes = created.Count + approved.Count;
        Console.WriteLine($"worker working set after warm-up {startWorkingSet / 1024.0 / 1024.0:N0} MiB, at the end {endWorkingSet / 1024.0 / 1024.0:N0} MiB: {growth:P1} " +
            $"({(endWorkingSet - startWorkingSet) / 1024.0 / Math.Max(1, writes) * 1000 / 1024.0:N1} MiB per 1,000 writes); " +
            $"host {startHostWorkingSet / 1024.0 / 1024.0:N0} MiB, at the end {endHostWorkingSet / 1024.0 / 1024.0:N0} MiB");
        return serverErrors == 0 && missing == 0 && wrong == 0 && duplicates == 0 && unexplained == 0 ? 0 : 1;
    }
}
