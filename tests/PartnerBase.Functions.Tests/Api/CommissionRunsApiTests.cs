using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace PartnerBase.Functions.Tests.Api;

/// <summary>CONTRACT §8 on commission runs over HTTP: the holding period's <c>held</c> list and automatic approval.</summary>
public sealed class CommissionRunsApiTests(ApiFactory factory)
{
    private readonly TestOrg _org = new(factory);

    [Fact]
    public async Task Run_WithHoldDaysAndAutoApproveBelow_HoldsYoungCommissionAndApprovesSmallPayoutsBySystem()
    {
        await PatchSettingsAsync("""{ "holdDays": 20, "approvalPolicy": { "autoApproveBelow": { "USD": 5000 } } }""");
        var small = await _org.CreatePartnerAsync(rateBps: 1_000);
        var large = await _org.CreatePartnerAsync(rateBps: 1_000);
        await IngestAsync(
            Attribution("a1", small, 40_000, "2026-09-05T10:00:00Z"),
            Attribution("a2", large, 100_000, "2026-09-05T10:00:00Z"),
            Attribution("a3", small, 20_000, "2026-09-25T08:30:00Z"),
            Attribution("a4", small, 10_000, "2026-09-28T00:00:00Z"));

        var preview = await RunAsync("""{ "period": "2026-09", "dryRun": true }""");
        var run = await RunAsync("""{ "period": "2026-09" }""");

        foreach (var result in new[] { preview, run })
        {
            var held = result["held"]!.AsArray().Single()!;
            Assert.Equal((small, "USD", 3_000L, 2), (held["partnerId"]!.GetValue<string>(), held["currency"]!.GetValue<string>(), held["amount"]!.GetValue<long>(), held["attributionCount"]!.GetValue<int>()));
            Assert.Equal(DateTimeOffset.Parse("2026-10-15T08:30:00Z"), held["payableFrom"]!.GetValue<DateTimeOffset>());
            Assert.Equal(2, result["payouts"]!.AsArray().Count);
        }

        var payouts = run["payouts"]!.AsArray().ToDictionary(p => p!["partnerId"]!.GetValue<string>(), p => p!["payoutId"]!.GetValue<string>());
        var approved = await _org.GetPayoutAsync(payouts[small]);
        Assert.Equal(("approved", 4_000L, "system"), (approved["status"]!.GetValue<string>(), approved["amount"]!.GetValue<long>(), approved["approvedBy"]!.GetValue<string>()));
        Assert.Equal("system", approved["approvals"]![0]!["by"]!.GetValue<string>());
        var audit = (await _org.AuditAsync(payouts[small])).Reverse().ToList();
        Assert.Equal(["payout.created", "payout.approved"], audit.Select(e => e!["type"]!.GetValue<string>()));
        Assert.All(audit, e => Assert.Equal("system", e!["actor"]!["kind"]!.GetValue<string>()));
        Assert.Equal("pending_approval", (await _org.GetPayoutAsync(payouts[large]))["status"]!.GetValue<string>());

        var october = await RunAsync("""{ "period": "2026-10" }""");
        Assert.Empty(october["held"]!.AsArray());
        var released = october["payouts"]!.AsArray().Single()!;
        Assert.Equal((small, 3_000L, 2), (released["partnerId"]!.GetValue<string>(), released["amount"]!.GetValue<long>(), released["attributionCount"]!.GetValue<int>()));
        Assert.Equal("approved", (await _org.GetPayoutAsync(released["payoutId"]!.GetValue<string>()))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_ManualPayoutBelowAutoApproveThreshold_StaysPending()
    {
        await PatchSettingsAsync("""{ "approvalPolicy": { "autoApproveBelow": { "USD": 1000000 } } }""");

        var payout = await _org.CreatePayoutAsync(await _org.CreatePartnerAsync(), 100);

        Assert.Equal("pending_approval", payout["status"]!.GetValue<string>());
        Assert.Empty(payout["approvals"]!.AsArray());
    }

    private async Task PatchSettingsAsync(string body) =>
        await TestOrg.ExpectAsync(await _org.Admin.PatchAsync("/api/organization", TestOrg.RawJson(body), TestContext.Current.CancellationToken), HttpStatusCode.OK);

    private async Task IngestAsync(params object[] attributions) =>
        await TestOrg.ExpectAsync(await _org.Manager.PostAsJsonAsync("/api/attributions", new { attributions }, TestContext.Current.CancellationToken), HttpStatusCode.OK);

    private async Task<JsonObject> RunAsync(string body)
    {
        var response = await _org.Manager.PostAsync("/api/commission-runs", TestOrg.RawJson(body), TestContext.Current.CancellationToken);
        await TestOrg.ExpectAsync(response, HttpStatusCode.OK);
        return await TestOrg.Json(response);
    }

    private static object Attribution(string id, string partnerId, long amount, string closedAt) =>
        new { id, partnerId, dealId = "deal-" + id, attributedAmount = amount, currency = "USD", closedAt, status = "won" };
}
