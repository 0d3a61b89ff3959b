using System.Net;
using System.Net.Http.Json;

namespace PartnerBase.Functions.Tests.Api;

/// <summary>An admin of another organization, holding real ids of this one, can neither see nor change anything.</summary>
public sealed class TenantIsolationTests(ApiFactory factory)
{
    [Fact]
    public async Task EveryRoute_WithAnotherOrganizationsToken_Returns404OrEmptyAndChangesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var victim = new TestOrg(factory);
        var partnerId = await victim.CreatePartnerAsync("shared-looking-id");
        var pending = (await victim.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        var approved = (await victim.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        await victim.ActAsync(victim.Approver, approved, "approve");
        var settings = new
        {
            approverEmails = new[] { "boss@victim.example" },
            requireVerifiedTaxForm = true,
            approvalPolicy = new { dualApprovalAtOrAbove = new Dictionary<string, long> { ["USD"] = 5_000 }, autoApproveBelow = new Dictionary<string, long> { ["USD"] = 100 } },
            holdDays = 14,
        };
        await TestOrg.ExpectAsync(await victim.Admin.PatchAsJsonAsync("/api/organization", settings, ct), HttpStatusCode.OK);
        var firstApproved = (await victim.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        Assert.Equal("pending_approval", (await victim.ActAsync(victim.Approver, firstApproved, "approve"))["status"]!.GetValue<string>());
        await victim.Manager.PatchAsJsonAsync($"/api/partners/{partnerId}", new { taxFormStatus = "submitted" }, ct);
        await TestOrg.ExpectAsync(await victim.Manager.PostAsJsonAsync("/api/statements", new { period = "2026-07" }, ct), HttpStatusCode.OK);
        var reconciliation = await victim.Finance.PostAsJsonAsync("/api/reconciliation-runs", new { }, ct);
        await TestOrg.ExpectAsync(reconciliation, HttpStatusCode.Created);
        var reconciliationId = (await TestOrg.Json(reconciliation))["id"]!.GetValue<string>();
        await using var receiver = await Webhooks.WebhookReceiver.StartAsync();
        var webhook = await TestOrg.Json(await victim.Admin.PostAsJsonAsync("/api/webhook-endpoints", new { url = receiver.Url, eventTypes = new[] { "payout.paid" } }, ct));
        var webhookId = webhook["id"]!.GetValue<string>();
        var delivery = await TestOrg.Json(await victim.Admin.PostAsync($"/api/webhook-endpoints/{webhookId}/test", null, ct));
        var before = await SnapshotAsync(victim, partnerId);
        var attacker = new TestOrg(factory).Client("intruder", "admin");

        foreach (var (method, path) in new[]
        {
            ("GET", $"/api/payouts/{pending}"),
            ("PATCH", $"/api/payouts/{pending}"),
            ("DELETE", $"/api/payouts/{pending}"),
            ("POST", $"/api/payouts/{pending}/approve"),
            ("POST", $"/api/payouts/{firstApproved}/approve"),
            ("POST", $"/api/payouts/{firstApproved}/reject"),
            ("POST", $"/api/payouts/{pending}/reject"),
            ("POST", $"/api/payouts/{approved}/mark-processing"),
            ("POST", $"/api/payouts/{approved}/mark-paid"),
            ("POST", $"/api/payouts/{approved}/mark-failed"),
            ("GET", $"/api/partners/{partnerId}"),
            ("PATCH", $"/api/partners/{partnerId}"),
            ("GET", $"/api/partners/{partnerId}/payout-summary"),
            ("GET", $"/api/partners/{partnerId}/statements/2026-07"),
            ("GET", $"/api/reconciliation-runs/{reconciliationId}"),
            ("GET", $"/api/webhook-endpoints/{webhookId}"),
            ("PATCH", $"/api/webhook-endpoints/{webhookId}"),
            ("DELETE", $"/api/webhook-endpoints/{webhookId}"),
            ("POST", $"/api/webhook-endpoints/{webhookId}/rotate-secret"),
            ("POST", $"/api/webhook-endpoints/{webhookId}/test"),
            ("GET", $"/api/webhook-endpoints/{webhookId}/deliveries"),
            ("POST", $"/api/webhook-endpoints/{webhookId}/deliveries/{delivery["id"]}/retry"),
        })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path)
            {
                Content = method is "PATCH" or "POST" ? JsonContent.Create(new { amount = 1, name = "pwned", taxFormStatus = "verified" }) : null,
            };
            await ProblemAssert.IsProblemAsync(await attacker.SendAsync(request, ct), HttpStatusCode.NotFound, "not_found");
        }

        foreach (var path in new[] { $"/api/payouts?partnerId={partnerId}", "/api/payouts", "/api/partners", $"/api/audit-log?payoutId={pending}", "/api/audit-log", $"/api/partners/{partnerId}/statements", "/api/reconciliation-runs", "/api/webhook-endpoints" })
        {
            var page = await TestOrg.Json(await attacker.GetAsync(path, ct));
            Assert.Empty(page["data"]!.AsArray());
        }

        Assert.Empty((await TestOrg.Json(await attacker.GetAsync($"/api/payouts/stats?partnerId={partnerId}", ct)))["currencies"]!.AsArray());
        var csv = await attacker.GetStringAsync($"/api/payouts/export?partnerId={partnerId}", ct);
        Assert.Single(csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
        var bulk = await TestOrg.Json(await attacker.PostAsJsonAsync("/api/payouts/bulk-approve", new { payoutIds = new[] { pending, firstApproved } }, ct));
        Assert.Empty(bulk["approved"]!.AsArray());
        Assert.Empty(bulk["approvalRecorded"]!.AsArray());
        Assert.All(bulk["skipped"]!.AsArray(), skip => Assert.Equal("not_found", skip!["code"]!.GetValue<string>()));
        var create = await attacker.PostAsJsonAsync("/api/payouts", new { partnerId, amount = 1, currency = "USD", period = "2026-07" }, ct);
        await ProblemAssert.IsValidationProblemAsync(create, "partnerId");
        var attackerSettings = await TestOrg.Json(await attacker.PatchAsJsonAsync(
            "/api/organization", new { automaticPayments = true, requireVerifiedTaxForm = false, approvalPolicy = (object?)null, holdDays = 0 }, ct));
        Assert.NotEqual(victim.Id, attackerSettings["orgId"]!.GetValue<string>());
        var sameId = await attacker.PostAsJsonAsync("/api/partners", new { id = partnerId, name = "Twin", email = "t@example.com", commissionRateBps = 1, taxFormStatus = "verified", payoutAccountId = "acct_twin" }, ct);
        Assert.Equal(HttpStatusCode.Created, sameId.StatusCode);
        Assert.Empty((await TestOrg.Json(sameId))["payableBlockers"]!.AsArray());
        var victimPartner = await TestOrg.Json(await victim.Viewer.GetAsync($"/api/partners/{partnerId}", ct));
        Assert.Equal("submitted", victimPartner["taxFormStatus"]!.GetValue<string>());
        Assert.Equal(["tax_form_not_verified"], victimPartner["payableBlockers"]!.AsArray().Select(b => b!.GetValue<string>()));
        // The attacker's own statement of its twin partner's month, and its reconciliation, touch only its organization's documents.
        await TestOrg.ExpectAsync(await attacker.PostAsJsonAsync("/api/payouts", new { partnerId, amount = 1, currency = "USD", period = "2026-07" }, ct), HttpStatusCode.Created);
        var twin = await TestOrg.Json(await attacker.PostAsJsonAsync("/api/statements", new { period = "2026-07" }, ct));
        Assert.Equal(partnerId, twin["statements"]!.AsArray().Single()!["partnerId"]!.GetValue<string>());
        await TestOrg.ExpectAsync(await attacker.PostAsJsonAsync("/api/reconciliation-runs", new { }, ct), HttpStatusCode.Created);

        Assert.Equal(before, await SnapshotAsync(victim, partnerId));
    }

    private static async Task<string> SnapshotAsync(TestOrg org, string partnerId)
    {
        var ct = TestContext.Current.CancellationToken;
        var parts = new List<string>();
        foreach (var path in new[] { "/api/payouts?limit=100", "/api/partners?limit=100", "/api/audit-log?limit=100", "/api/organization", "/api/payouts/stats" })
        {
            parts.Add(await org.Viewer.GetStringAsync(path, ct));
        }

        parts.Add(await org.Viewer.GetStringAsync($"/api/partners/{partnerId}/statements", ct));
        parts.Add(Convert.ToBase64String(await org.Viewer.GetByteArrayAsync($"/api/partners/{partnerId}/statements/2026-07", ct)));
        parts.Add(await org.Finance.GetStringAsync("/api/reconciliation-runs", ct));
        parts.Add(await org.Admin.GetStringAsync("/api/webhook-endpoints", ct));
        foreach (var endpoint in (await TestOrg.Json(await org.Admin.GetAsync("/api/webhook-endpoints", ct)))["data"]!.AsArray())
        {
            parts.Add(await org.Admin.GetStringAsync($"/api/webhook-endpoints/{endpoint!["id"]}/deliveries", ct));
        }

        return string.Join("\n", parts);
    }
}
