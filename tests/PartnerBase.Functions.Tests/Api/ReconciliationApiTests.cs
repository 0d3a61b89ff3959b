using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Tests.Api;

/// <summary>CONTRACT §10 reconciliation over HTTP: a run, its report kept and listed, drift found, who may.</summary>
public sealed class ReconciliationApiTests(ApiFactory factory)
{
    private readonly TestOrg _org = new(factory);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Run_AfterAutomaticPayments_MatchesThem_ReportIsKeptAndListed()
    {
        var paid = await PaidThroughProviderAsync(2);
        await _org.CreatePayoutAsync(await _org.CreatePartnerAsync());

        var response = await _org.Finance.PostAsJsonAsync("/api/reconciliation-runs", new { }, Ct);

        await TestOrg.ExpectAsync(response, HttpStatusCode.Created);
        var report = await TestOrg.Json(response);
        var id = report["id"]!.GetValue<string>();
        Assert.Equal($"/api/reconciliation-runs/{id}", response.Headers.Location!.OriginalString);
        Assert.Equal((2, 0), (report["matched"]!.GetValue<int>(), report["issues"]!.AsArray().Count));
        var (from, to) = (report["from"]!.GetValue<DateTimeOffset>(), report["to"]!.GetValue<DateTimeOffset>());
        Assert.Equal(TimeSpan.FromDays(7), to - from);
        Assert.InRange(to, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);
        Assert.Equal(report.ToJsonString(), (await TestOrg.Json(await _org.Finance.GetAsync(response.Headers.Location, Ct))).ToJsonString());
        var listed = await TestOrg.Json(await _org.Admin.GetAsync("/api/reconciliation-runs", Ct));
        Assert.Equal(report.ToJsonString(), listed["data"]![0]!.ToJsonString());
        Assert.Equal(2, paid.Count);
    }

    [Fact]
    public async Task Run_WhenTheProvidersLedgerDrifted_ReportsIt_AndRunsAreListedNewestFirst()
    {
        var paid = await PaidThroughProviderAsync(1);
        var first = await RunAsync(new { from = DateTimeOffset.UtcNow.AddHours(-1), to = DateTimeOffset.UtcNow.AddHours(1) });
        var store = factory.Services.GetRequiredService<IPayoutStore>();
        var transfer = (await store.GetTransferAsync(_org.Id, paid[0]["paymentReference"]!.GetValue<string>(), Ct))!;
        await store.SaveTransferAsync(_org.Id, transfer with { Amount = transfer.Amount + 50, Reversed = true }, Ct);

        var second = await RunAsync(new { from = DateTime.UtcNow.Date.AddDays(-1).ToString("yyyy-MM-dd"), to = DateTime.UtcNow.Date.AddDays(1).ToString("yyyy-MM-dd") });

        Assert.Equal((1, 0), (first["matched"]!.GetValue<int>(), first["issues"]!.AsArray().Count));
        Assert.Equal(0, second["matched"]!.GetValue<int>());
        Assert.Equal(
            [("amount_mismatch", "10000", "10050"), ("reversed_transfer", null, null)],
            second["issues"]!.AsArray().Select(i => (i!["kind"]!.GetValue<string>(), i["expected"]?.GetValue<string>(), i["actual"]?.GetValue<string>())));
        Assert.All(second["issues"]!.AsArray(), i => Assert.Equal((paid[0]["id"]!.GetValue<string>(), transfer.Id), (i!["payoutId"]!.GetValue<string>(), i["transferId"]!.GetValue<string>())));
        Assert.Equal(DateTimeOffset.UtcNow.Date, second["from"]!.GetValue<DateTimeOffset>().AddDays(1).UtcDateTime.Date);
        var page = await TestOrg.Json(await _org.Finance.GetAsync("/api/reconciliation-runs?limit=1", Ct));
        var next = await TestOrg.Json(await _org.Finance.GetAsync($"/api/reconciliation-runs?limit=1&cursor={Uri.EscapeDataString(page["nextCursor"]!.GetValue<string>())}", Ct));
        Assert.Equal([second["id"]!.GetValue<string>(), first["id"]!.GetValue<string>()], [page["data"]![0]!["id"]!.GetValue<string>(), next["data"]![0]!["id"]!.GetValue<string>()]);
        Assert.Null(next["nextCursor"]);
    }

    [Fact]
    public async Task OnlyFinanceAndAdmins_RunAndReadReconciliations()
    {
        foreach (var client in new[] { _org.Manager, _org.Approver, _org.Viewer, _org.PartnerClient("p") })
        {
            await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/api/reconciliation-runs", new { }, Ct), HttpStatusCode.Forbidden, "forbidden");
            await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/reconciliation-runs", Ct), HttpStatusCode.Forbidden, "forbidden");
        }

        await ProblemAssert.IsProblemAsync(await _org.Finance.GetAsync("/api/reconciliation-runs/rc_nothing", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await _org.Finance.GetAsync("/api/reconciliation-runs/..%2F..%2Fstatements", Ct), HttpStatusCode.NotFound, "not_found");
        Assert.Empty((await TestOrg.Json(await _org.Finance.GetAsync("/api/reconciliation-runs", Ct)))["data"]!.AsArray());
    }

    private async Task<JsonObject> RunAsync(object body)
    {
        var response = await _org.Finance.PostAsJsonAsync("/api/reconciliation-runs", body, Ct);
        await TestOrg.ExpectAsync(response, HttpStatusCode.Created);
        return await TestOrg.Json(response);
    }

    /// <summary>Payouts approved with automatic payments on, then paid by the simulated provider.</summary>
    private async Task<List<JsonObject>> PaidThroughProviderAsync(int count)
    {
        await TestOrg.ExpectAsync(await _org.Admin.PatchAsync("/api/organization", TestOrg.RawJson("""{ "automaticPayments": true }"""), Ct), HttpStatusCode.OK);
        var partner = await _org.CreatePartnerAsync(account: "acct_reconciled");
        var paid = new List<JsonObject>();
        for (var i = 0; i < count; i++)
        {
            var id = (await _org.CreatePayoutAsync(partner))["id"]!.GetValue<string>();
            await _org.ActAsync(_org.Approver, id, "approve");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            JsonObject payout;
            while ((payout = await _org.GetPayoutAsync(id))["status"]!.GetValue<string>() != "paid")
            {
                Assert.True(DateTime.UtcNow < deadline, $"Payout {id} was not paid by the simulated provider within 30 s.");
                await Task.Delay(200, Ct);
            }

            paid.Add(payout);
        }

        return paid;
    }
}
