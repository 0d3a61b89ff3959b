using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;
using NCrontab;
using PartnerBase.Functions.Tests.Api;
using PartnerBase.Functions.Tests.Storage;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// The local host's timers on <c>AzureWebJobsStorage</c> (Azurite), as the Functions host runs them (AZURE-FACTS.md):
/// the schedule monitor's status blob and past-due catch-up, and the listener lock that lets one of several hosts with
/// one host id fire a timer. Each test has its own host id.
/// </summary>
public sealed class LocalFunctionsHostTimerStorageTests(AzuriteServer azurite) : IClassFixture<AzuriteServer>
{
    private const string CommissionSchedule = "0 0 2 1 * *";
    private const string StatementsSchedule = "0 0 4 1 * *";
    private const string Rarely = "0 0 0 1 1 *";
    private static readonly TimeSpan LockPeriod = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly CrontabSchedule Commissions = CrontabSchedule.Parse(CommissionSchedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true });

    [Fact]
    public async Task Start_StatusBlobPastDue_RunsOnceWithIsPastDue_AndSettlesThePeriodOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var hostId = NewHostId();
        var container = await ContainerAsync();
        await WriteMissedRunAsync(container, hostId);

        // Another host holds the lock while the test makes its organization: the catch-up must wait for the lock.
        var lockBlob = container.GetBlobClient($"locks/{hostId}/Host.Functions.CommissionRun.Listener");
        await lockBlob.UploadAsync(BinaryData.Empty, ct);
        var otherHost = lockBlob.GetBlobLeaseClient();
        await otherHost.AcquireAsync(TimeSpan.FromSeconds(60), cancellationToken: ct);

        var log = new LogRecorder();
        using var loggerFactory = log.CreateFactory();
        await using var app = await StartAsync(hostId, loggerFactory);
        var org = new TestOrg(ApiFactory.For(app));
        var partnerId = await org.CreatePartnerAsync(rateBps: 1000);
        await org.ImportWonDealLastMonthAsync(partnerId, ct);
        var lastMonth = DateTimeOffset.UtcNow.AddMonths(-1);
        Assert.Empty(Executions(log, "CommissionRun"));

        var released = DateTime.UtcNow;
        await otherHost.ReleaseAsync(cancellationToken: ct);
        var status = await WaitForStatusAsync(container, hostId, "CommissionRun", s => s.Last != DateTime.MinValue);
        // Delivered again, as a retry or a second instance would: the period is settled once.
        var again = await app.Host.InvokeAsync("CommissionRun", cancellationToken: ct);

        Assert.True(again.Succeeded, again.Error);
        Assert.Single(Executions(log, "CommissionRun"), m => m.Contains("Reason='Timer is past due'", StringComparison.Ordinal));
        Assert.Equal(2, Executions(log, "CommissionRun").Count);
        // The worker's own log line, written when the TimerInfo it received says IsPastDue.
        Assert.Single(log.Entries, e => e.Message.StartsWith("The timer is past due; running", StringComparison.Ordinal));
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Error);
        Assert.InRange(status.Last, released.AddSeconds(-1), DateTime.UtcNow);
        Assert.Equal(Commissions.GetNextOccurrence(status.Last), status.Next);
        Assert.Equal(status.Last, status.LastUpdated);
        var payouts = (await TestOrg.Json(await org.Viewer.GetAsync("/api/payouts", ct)))["data"]!.AsArray();
        var payout = Assert.Single(payouts)!;
        Assert.Equal(25_000, payout["amount"]!.GetValue<long>());
        Assert.Equal($"{lastMonth.Year:D4}-{lastMonth.Month:D2}", payout["period"]!.GetValue<string>());
    }

    [Fact]
    public async Task GenerateStatements_PastDueAtStart_ThenDeliveredAgain_LeavesOneStatementPerPartnerWithTheRunsFigures()
    {
        var ct = TestContext.Current.CancellationToken;
        var hostId = NewHostId();
        var container = await ContainerAsync();
        await WriteMissedRunAsync(container, hostId, "GenerateStatements", StatementsSchedule);
        var lockBlob = container.GetBlobClient($"locks/{hostId}/Host.Functions.GenerateStatements.Listener");
        await lockBlob.UploadAsync(BinaryData.Empty, overwrite: true, ct);
        var otherHost = lockBlob.GetBlobLeaseClient();
        await otherHost.AcquireAsync(TimeSpan.FromSeconds(60), cancellationToken: ct);

        var log = new LogRecorder();
        using var loggerFactory = log.CreateFactory();
        await using var app = await StartAsync(hostId, loggerFactory);
        var org = new TestOrg(ApiFactory.For(app));
        var partnerId = await org.CreatePartnerAsync(rateBps: 1000);
        await org.ImportWonDealLastMonthAsync(partnerId, ct);
        var lastMonth = DateTimeOffset.UtcNow.AddMonths(-1);
        var period = $"{lastMonth.Year:D4}-{lastMonth.Month:D2}";
        var run = await org.Manager.PostAsync("/api/commission-runs", TestOrg.RawJson("{ \"period\": \"" + period + "\" }"), ct);
        await TestOrg.ExpectAsync(run, System.Net.HttpStatusCode.OK);

        await otherHost.ReleaseAsync(cancellationToken: ct);
        await WaitForStatusAsync(container, hostId, "GenerateStatements", s => s.Last != DateTime.MinValue);
        // Delivered again, as a retry or a second instance would: a complete new version, one listing per partner.
        var again = await app.Host.InvokeAsync("GenerateStatements", cancellationToken: ct);

        Assert.True(again.Succeeded, again.Error);
        Assert.Equal(2, Executions(log, "GenerateStatements").Count);
        Assert.Single(log.Entries, e => e.Message.StartsWith("The timer is past due; generating the", StringComparison.Ordinal));
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Error);
        var listed = (await TestOrg.Json(await org.Viewer.GetAsync($"/api/partners/{partnerId}/statements", ct)))["data"]!.AsArray();
        Assert.Equal(period, Assert.Single(listed)!["period"]!.GetValue<string>());
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/partners/{partnerId}/statements/{period}");
        request.Headers.Accept.Add(new System.Net.Http.Headers.MediaTypeWithQualityHeaderValue("application/json"));
        var statement = await TestOrg.Json(await org.Viewer.SendAsync(request, ct));
        var payout = statement["currencies"]![0]!["payouts"]!.AsArray().Single()!;
        Assert.Equal((25_000L, 25_000L), (payout["amount"]!.GetValue<long>(), payout["lines"]!.AsArray().Single()!["commission"]!.GetValue<long>()));
        Assert.Equal(listed[0]!["id"]!.GetValue<string>(), statement["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task TwoHosts_SameHostId_FireEachTimerOnceBetweenThem_AndTheOtherTakesOverWhenTheHolderStops()
    {
        var ct = TestContext.Current.CancellationToken;
        var hostId = NewHostId();
        var container = await ContainerAsync();
        await WriteMissedRunAsync(container, hostId);
        var (logA, logB) = (new LogRecorder(), new LogRecorder());
        using var factoryA = logA.CreateFactory();
        using var factoryB = logB.CreateFactory();

        var a = await StartAsync(hostId, factoryA, paymentsSchedule: FunctionApp.EverySecond);
        var b = await StartAsync(hostId, factoryB, paymentsSchedule: FunctionApp.EverySecond);
        try
        {
            await WaitForStatusAsync(container, hostId, "CommissionRun", s => s.Last != DateTime.MinValue);
            await Task.Delay(TimeSpan.FromSeconds(3), ct);

            Assert.Single(Executions(logA, "CommissionRun").Concat(Executions(logB, "CommissionRun")));
            var (holder, holderLog, otherLog) = Executions(logA, "ProcessPayments").Count > 0 ? (a, logA, logB) : (b, logB, logA);
            Assert.NotEmpty(Executions(holderLog, "ProcessPayments"));
            Assert.Empty(Executions(otherLog, "ProcessPayments"));

            var stopped = DateTime.UtcNow;
            await holder.DisposeAsync();
            while (Executions(otherLog, "ProcessPayments").Count == 0 && DateTime.UtcNow - stopped < Patience)
            {
                await Task.Delay(100, ct);
            }

            Assert.NotEmpty(Executions(otherLog, "ProcessPayments"));
            Assert.InRange(DateTime.UtcNow - stopped, TimeSpan.Zero, LockPeriod);
            Assert.DoesNotContain(logA.Entries.Concat(logB.Entries), e => e.Level >= LogLevel.Error);
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task Start_NoStatusYet_WritesTheStatusBlobAtTheHostsPathInTheHostsShape_AndHoldsTheLocks()
    {
        var ct = TestContext.Current.CancellationToken;
        var hostId = NewHostId();
        var container = await ContainerAsync();
        var log = new LogRecorder();
        using var loggerFactory = log.CreateFactory();
        var before = DateTime.UtcNow;

        await using var app = await StartAsync(hostId, loggerFactory, paymentsSchedule: FunctionApp.EverySecond);
        await WaitForStatusAsync(container, hostId, "CommissionRun", _ => true);
        while (Executions(log, "ProcessPayments").Count == 0 && DateTime.UtcNow - before < Patience)
        {
            await Task.Delay(100, ct);
        }

        var json = (await container.GetBlobClient($"timers/{hostId}/Host.Functions.CommissionRun/status").DownloadContentAsync(ct)).Value.Content.ToString();
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal(["Last", "Next", "LastUpdated"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("0001-01-01T00:00:00", root.GetProperty("Last").GetString());
        var lastUpdated = ParseUtc(root.GetProperty("LastUpdated").GetString()!);
        Assert.InRange(lastUpdated, before.AddSeconds(-1), DateTime.UtcNow);
        Assert.Equal(Commissions.GetNextOccurrence(lastUpdated), ParseUtc(root.GetProperty("Next").GetString()!));
        Assert.Empty(Executions(log, "CommissionRun"));

        // A timer due every second has no schedule monitor (as in Azure), but still its listener lock.
        Assert.NotEmpty(Executions(log, "ProcessPayments"));
        Assert.False(await container.GetBlobClient($"timers/{hostId}/Host.Functions.ProcessPayments/status").ExistsAsync(ct));
        foreach (var function in new[] { "CommissionRun", "ProcessPayments" })
        {
            var properties = (await container.GetBlobClient($"locks/{hostId}/Host.Functions.{function}.Listener").GetPropertiesAsync(cancellationToken: ct)).Value;
            Assert.Equal(LeaseState.Leased, properties.LeaseState);
            Assert.Equal(LeaseDurationType.Fixed, properties.LeaseDuration);
            Assert.Equal(0, properties.ContentLength);
        }
    }

    private Task<FunctionApp> StartAsync(string hostId, ILoggerFactory loggerFactory, string paymentsSchedule = Rarely) =>
        FunctionApp.StartAsync(
            ApiFactory.UseTestSettings,
            runTimers: true,
            settings: new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = azurite.ConnectionString,
                ["AzureFunctionsWebHost__hostid"] = hostId,
                ["CommissionRunSchedule"] = CommissionSchedule,
                ["EventRelaySchedule"] = Rarely,
                ["PaymentsSchedule"] = paymentsSchedule,
                ["NotificationsSchedule"] = Rarely,
                ["WebhooksSchedule"] = Rarely,
                ["StatementsSchedule"] = StatementsSchedule,
                ["ReconciliationSchedule"] = "0 30 3 * * *",
            },
            loggerFactory: loggerFactory,
            timerLockPeriod: LockPeriod,
            timerLockRetryInterval: TimeSpan.FromSeconds(1));

    private static string NewHostId() => "test-" + Guid.NewGuid().ToString("N")[..12];

    private async Task<BlobContainerClient> ContainerAsync()
    {
        var container = azurite.Client.GetBlobContainerClient("azure-webjobs-hosts");
        await container.CreateIfNotExistsAsync(cancellationToken: TestContext.Current.CancellationToken);
        return container;
    }

    // What a host that stopped before the last occurrence leaves: Next is that occurrence, now in the past.
    // Written as the Functions host writes it (Newtonsoft, local time with its offset).
    private static async Task WriteMissedRunAsync(BlobContainerClient container, string hostId, string function = "CommissionRun", string schedule = CommissionSchedule)
    {
        var now = DateTime.UtcNow;
        var missed = CrontabSchedule.Parse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }).GetNextOccurrences(now.AddDays(-40), now).Last();
        var lastUpdated = missed.AddHours(-1);
        var json = $$"""{"Last":"0001-01-01T00:00:00","Next":"{{missed:yyyy-MM-ddTHH:mm:ss}}+00:00","LastUpdated":"{{lastUpdated:yyyy-MM-ddTHH:mm:ss.fffffff}}+00:00"}""";
        await container.GetBlobClient($"timers/{hostId}/Host.Functions.{function}/status")
            .UploadAsync(BinaryData.FromString(json), overwrite: true, TestContext.Current.CancellationToken);
    }

    private static async Task<Status> WaitForStatusAsync(BlobContainerClient container, string hostId, string function, Func<Status, bool> until)
    {
        var blob = container.GetBlobClient($"timers/{hostId}/Host.Functions.{function}/status");
        var started = DateTime.UtcNow;
        while (true)
        {
            if (await blob.ExistsAsync(TestContext.Current.CancellationToken))
            {
                using var json = JsonDocument.Parse((await blob.DownloadContentAsync(TestContext.Current.CancellationToken)).Value.Content.ToMemory());
                var root = json.RootElement;
                var status = new Status(
                    ParseUtc(root.GetProperty("Last").GetString()!),
                    ParseUtc(root.GetProperty("Next").GetString()!),
                    ParseUtc(root.GetProperty("LastUpdated").GetString()!));
                if (until(status))
                {
                    return status;
                }
            }

            Assert.True(DateTime.UtcNow - started < Patience, $"The status blob of {function} did not reach the expected state within {Patience.TotalSeconds} s.");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    private static DateTime ParseUtc(string text) =>
        text == "0001-01-01T00:00:00"
            ? DateTime.MinValue
            : DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    private static List<string> Executions(LogRecorder log, string function) =>
        [.. log.Entries.Select(e => e.Message).Where(m => m.StartsWith($"Executing '{function}'", StringComparison.Ordinal))];

    private sealed record Status(DateTime Last, DateTime Next, DateTime LastUpdated);
}
