using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PartnerBase.Functions.Tests.Api;

namespace PartnerBase.Functions.Tests.Payments;

/// <summary>As under dotnet run: approving is enough; the relay, the in-memory topic, the payments function (timers every second) and the simulated provider do the rest.</summary>
public sealed class AutomaticPaymentsTests(ApiFactory factory)
{
    [Fact]
    public async Task Approve_WithAutomaticPayments_PaysFailsOrWaitsByPartnerAccount()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = new TestOrg(factory);
        await org.Admin.PatchAsJsonAsync("/api/organization", new { automaticPayments = true }, ct);
        var ok = await org.CreatePartnerAsync(account: "acct_ok_demo");
        var closed = await org.CreatePartnerAsync(account: "acct_fail_demo");
        var none = await org.CreatePartnerAsync();
        var toPay = await ApproveAsync(org, ok);
        var toFail = await ApproveAsync(org, closed);
        var toWait = await ApproveAsync(org, none);

        var paid = await WaitForAsync(org, toPay, "paid");
        var failed = await WaitForAsync(org, toFail, "failed");
        await Task.Delay(500, ct);

        Assert.StartsWith("sim_tr_", paid["paymentReference"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("account_closed", failed["failureCode"]!.GetValue<string>());
        Assert.Equal("approved", (await org.GetPayoutAsync(toWait))["status"]!.GetValue<string>());
        var audit = await org.AuditAsync(toPay);
        Assert.Equal(["payout.paid", "payout.processing"], audit.Take(2).Select(e => e!["type"]!.GetValue<string>()));
        Assert.All(audit.Take(2), e => Assert.Equal("system", e!["actor"]!["kind"]!.GetValue<string>()));
    }

    [Fact]
    public async Task CommissionRun_PayoutApprovedAutomatically_IsPaidLikeAnyApprovedPayout()
    {
        var ct = TestContext.Current.CancellationToken;
        var org = new TestOrg(factory);
        await org.Admin.PatchAsJsonAsync("/api/organization", new { automaticPayments = true, approvalPolicy = new { autoApproveBelow = new Dictionary<string, long> { ["USD"] = 10_000 } } }, ct);
        var partnerId = await org.CreatePartnerAsync(account: "acct_ok_run");
        var attribution = new { id = "a1", partnerId, dealId = "d1", attributedAmount = 50_000, currency = "USD", closedAt = "2026-09-10T12:00:00Z", status = "won" };
        await TestOrg.ExpectAsync(await org.Manager.PostAsJsonAsync("/api/attributions", new { attributions = new[] { attribution } }, ct), System.Net.HttpStatusCode.OK);

        var run = await TestOrg.Json(await org.Manager.PostAsJsonAsync("/api/commission-runs", new { period = "2026-09" }, ct));
        var payoutId = run["payouts"]![0]!["payoutId"]!.GetValue<string>();

        var paid = await WaitForAsync(org, payoutId, "paid");
        Assert.Equal(("system", 5_000L), (paid["approvedBy"]!.GetValue<string>(), paid["amount"]!.GetValue<long>()));
        Assert.Equal(
            ["payout.paid", "payout.processing", "payout.approved", "payout.created"],
            (await org.AuditAsync(payoutId)).Select(e => e!["type"]!.GetValue<string>()));
    }

    private static async Task<string> ApproveAsync(TestOrg org, string partnerId)
    {
        var id = (await org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        await org.ActAsync(org.Approver, id, "approve");
        return id;
    }

    private static async Task<JsonObject> WaitForAsync(TestOrg org, string payoutId, string status)
    {
        // The assembly's one app relays every other test's events too: a generous deadline.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var payout = await org.GetPayoutAsync(payoutId);
            if (payout["status"]!.GetValue<string>() == status)
            {
                return payout;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"payout {payoutId} is {payout["status"]} after 60 s, not {status}");
            await Task.Delay(50);
        }
    }
}
