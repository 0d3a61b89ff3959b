using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace PartnerBase.Functions.Tests.Api;

public sealed class PayoutsApiTests(ApiFactory factory)
{
    private readonly TestOrg _org = new(factory);

    [Fact]
    public async Task Create_WithValidBody_Returns201WithLocationETagAndPayout()
    {
        var partnerId = await _org.CreatePartnerAsync();

        var response = await _org.Manager.PostAsJsonAsync("/api/payouts", new
        {
            partnerId,
            amount = 123_456,
            currency = "USD",
            period = "2026-Q3",
            notes = "Q3 bonus",
            metadata = new Dictionary<string, string> { ["deal"] = "D-1" },
        }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var payout = await TestOrg.Json(response);
        var id = payout["id"]!.GetValue<string>();
        Assert.StartsWith("po_", id, StringComparison.Ordinal);
        Assert.Equal($"/api/payouts/{id}", response.Headers.Location?.ToString());
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        Assert.Equal(123_456, payout["amount"]!.GetValue<long>());
        Assert.Equal("USD", payout["currency"]!.GetValue<string>());
        Assert.Equal("pending_approval", payout["status"]!.GetValue<string>());
        Assert.Equal("2026-Q3", payout["period"]!.GetValue<string>());
        Assert.Equal("manual", payout["source"]!.GetValue<string>());
        Assert.Equal("manager-1", payout["createdBy"]!.GetValue<string>());
        Assert.Equal("D-1", payout["metadata"]!["deal"]!.GetValue<string>());
        Assert.Equal(1, payout["version"]!.GetValue<long>());
        Assert.EndsWith("Z", payout["createdAt"]!.GetValue<string>(), StringComparison.Ordinal);
        foreach (var field in new[] { "approvedBy", "approvedAt", "rejectedBy", "rejectedAt", "rejectionReason", "processingAt", "paidAt", "paymentReference", "failedAt", "failureCode", "failureMessage" })
        {
            Assert.True(payout.ContainsKey(field), $"{field} must be present (null when not set)");
            Assert.Null(payout[field]);
        }
    }

    [Fact]
    public async Task Lifecycle_ApproveProcessFailRetryPay_RecordsEveryStepAndEvent()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();

        var approved = await _org.ActAsync(_org.Approver, id, "approve");
        Assert.Equal("approved", approved["status"]!.GetValue<string>());
        Assert.Equal("approver-1", approved["approvedBy"]!.GetValue<string>());
        Assert.NotNull(approved["approvedAt"]);

        await _org.ActAsync(_org.Finance, id, "mark-processing");
        var failed = await _org.ActAsync(_org.Finance, id, "mark-failed", new { failureCode = "account_closed", failureMessage = "Closed" });
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Equal("account_closed", failed["failureCode"]!.GetValue<string>());
        await _org.ActAsync(_org.Finance, id, "mark-processing");
        var paid = await _org.ActAsync(_org.Finance, id, "mark-paid", new { paymentReference = "tr_123" });

        Assert.Equal("paid", paid["status"]!.GetValue<string>());
        Assert.Equal("tr_123", paid["paymentReference"]!.GetValue<string>());
        Assert.Equal(6, paid["version"]!.GetValue<long>());
        var audit = await _org.AuditAsync(id);
        Assert.Equal(
            ["payout.paid", "payout.processing", "payout.failed", "payout.processing", "payout.approved", "payout.created"],
            audit.Select(entry => entry!["type"]!.GetValue<string>()));
        Assert.Equal("finance-1", audit[0]!["actor"]!["id"]!.GetValue<string>());
        Assert.Equal("user", audit[0]!["actor"]!["kind"]!.GetValue<string>());
        Assert.Equal("processing", audit[0]!["data"]!["previousStatus"]!.GetValue<string>());
        Assert.Equal("paid", audit[0]!["data"]!["payout"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_ExistingPayout_ReturnsItWithETag()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();

        var response = await _org.Viewer.GetAsync($"/api/payouts/{id}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        Assert.False(response.Headers.ETag!.IsWeak);
        Assert.Equal(id, (await TestOrg.Json(response))["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_UnknownPayout_Returns404Problem()
    {
        var response = await _org.Viewer.GetAsync("/api/payouts/po_missing", TestContext.Current.CancellationToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Update_PendingPayout_ChangesFieldsAndBumpsVersion()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId, notes: "old"))["id"]!.GetValue<string>();

        var response = await _org.Manager.PatchAsJsonAsync($"/api/payouts/{id}", new { amount = 777, currency = "EUR", period = "2026-08", notes = "", metadata = new { k = "v" } }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var payout = await TestOrg.Json(response);
        Assert.Equal(777, payout["amount"]!.GetValue<long>());
        Assert.Equal("EUR", payout["currency"]!.GetValue<string>());
        Assert.Equal("2026-08", payout["period"]!.GetValue<string>());
        Assert.Null(payout["notes"]);
        Assert.Equal("v", payout["metadata"]!["k"]!.GetValue<string>());
        Assert.Equal(2, payout["version"]!.GetValue<long>());
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task Update_NullNotesAndMetadataClearThem_NullAmountIsRejected()
    {
        var ct = TestContext.Current.CancellationToken;
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId, notes: "to clear"))["id"]!.GetValue<string>();
        await _org.Manager.PatchAsJsonAsync($"/api/payouts/{id}", new { metadata = new { k = "v" } }, ct);

        var cleared = await _org.Manager.PatchAsync($"/api/payouts/{id}", new StringContent("""{ "notes": null, "metadata": null }""", System.Text.Encoding.UTF8, "application/json"), ct);
        var nulled = await _org.Manager.PatchAsync($"/api/payouts/{id}", new StringContent("""{ "amount": null }""", System.Text.Encoding.UTF8, "application/json"), ct);

        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        var payout = await TestOrg.Json(cleared);
        Assert.Null(payout["notes"]);
        Assert.Empty(payout["metadata"]!.AsObject());
        await ProblemAssert.IsValidationProblemAsync(nulled, "amount");
        Assert.Equal(10_000, (await _org.GetPayoutAsync(id))["amount"]!.GetValue<long>());
    }

    [Fact]
    public async Task Update_ApprovedPayout_Returns409InvalidTransitionAndChangesNothing()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, id, "approve");

        var response = await _org.Manager.PatchAsJsonAsync($"/api/payouts/{id}", new { amount = 1 }, TestContext.Current.CancellationToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "invalid_transition");
        var payout = await _org.GetPayoutAsync(id);
        Assert.Equal(10_000, payout["amount"]!.GetValue<long>());
        Assert.Equal(2, payout["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Delete_PendingPayout_Returns204RemovesItAndKeepsAudit()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();

        var response = await _org.Manager.DeleteAsync($"/api/payouts/{id}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await ProblemAssert.IsProblemAsync(await _org.Viewer.GetAsync($"/api/payouts/{id}", TestContext.Current.CancellationToken), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(["payout.deleted", "payout.created"], (await _org.AuditAsync(id)).Select(e => e!["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Delete_ApprovedPayout_Returns409InvalidTransition()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, id, "approve");

        var response = await _org.Manager.DeleteAsync($"/api/payouts/{id}", TestContext.Current.CancellationToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "invalid_transition");
    }

    [Fact]
    public async Task Approve_ByItsCreator_Returns403SeparationOfDuties()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var both = _org.Client("dual-1", "manager", "approver");
        var id = (await _org.CreatePayoutAsync(partnerId, client: both))["id"]!.GetValue<string>();

        var response = await both.PostAsync($"/api/payouts/{id}/approve", null, TestContext.Current.CancellationToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "separation_of_duties");
        Assert.Equal("pending_approval", (await _org.GetPayoutAsync(id))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Approve_WithStaleIfMatch_Returns412AndChangesNothing()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        await _org.Manager.PatchAsJsonAsync($"/api/payouts/{id}", new { notes = "edited" }, TestContext.Current.CancellationToken);

        using var stale = new HttpRequestMessage(HttpMethod.Post, $"/api/payouts/{id}/approve");
        stale.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        var response = await _org.Approver.SendAsync(stale, TestContext.Current.CancellationToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal("pending_approval", (await _org.GetPayoutAsync(id))["status"]!.GetValue<string>());

        using var current = new HttpRequestMessage(HttpMethod.Post, $"/api/payouts/{id}/approve");
        current.Headers.TryAddWithoutValidation("If-Match", "\"2\"");
        var ok = await _org.Approver.SendAsync(current, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("\"3\"", ok.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task Reject_WithReason_IsFinal()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();

        var rejected = await _org.ActAsync(_org.Approver, id, "reject", new { reason = "Duplicate claim" });

        Assert.Equal("rejected", rejected["status"]!.GetValue<string>());
        Assert.Equal("Duplicate claim", rejected["rejectionReason"]!.GetValue<string>());
        Assert.Equal("approver-1", rejected["rejectedBy"]!.GetValue<string>());
        var again = await _org.Finance.PostAsync($"/api/payouts/{id}/mark-processing", null, TestContext.Current.CancellationToken);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, "invalid_transition");
    }

    [Fact]
    public async Task Reject_WithoutBody_Works()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();

        var response = await _org.Approver.PostAsync($"/api/payouts/{id}/reject", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null((await TestOrg.Json(response))["rejectionReason"]);
    }

    [Fact]
    public async Task MarkPaid_DirectlyFromApproved_Works()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, id, "approve");

        var paid = await _org.ActAsync(_org.Finance, id, "mark-paid");

        Assert.Equal("paid", paid["status"]!.GetValue<string>());
        Assert.NotNull(paid["paidAt"]);
    }

    [Theory]
    [InlineData("viewer", "POST", "")]
    [InlineData("approver", "POST", "")]
    [InlineData("viewer", "POST", "/{id}/approve")]
    [InlineData("manager", "POST", "/{id}/approve")]
    [InlineData("finance", "POST", "/{id}/reject")]
    [InlineData("approver", "POST", "/{id}/mark-paid")]
    [InlineData("manager", "POST", "/{id}/mark-processing")]
    [InlineData("viewer", "PATCH", "/{id}")]
    [InlineData("finance", "DELETE", "/{id}")]
    [InlineData("partner", "GET", "/stats")]
    [InlineData("partner", "GET", "/export")]
    [InlineData("manager", "POST", "/bulk-approve")]
    public async Task Payouts_WithoutTheRole_Returns403Forbidden(string role, string method, string path)
    {
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        using var request = new HttpRequestMessage(new HttpMethod(method), "/api/payouts" + path.Replace("{id}", id, StringComparison.Ordinal))
        {
            Content = method is "POST" or "PATCH" ? JsonContent.Create(new { partnerId, amount = 1, currency = "USD", period = "2026-07", payoutIds = new[] { id } }) : null,
        };
        var client = role == "partner" ? _org.PartnerClient(partnerId) : _org.Client("someone", role);

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        var payout = await _org.GetPayoutAsync(id);
        Assert.Equal(1, payout["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task List_FiltersByStatusPartnerAndExactPeriod()
    {
        var a = await _org.CreatePartnerAsync();
        var b = await _org.CreatePartnerAsync();
        var q3 = (await _org.CreatePayoutAsync(a, period: "2026-Q3"))["id"]!.GetValue<string>();
        var july = (await _org.CreatePayoutAsync(a, period: "2026-07"))["id"]!.GetValue<string>();
        var other = (await _org.CreatePayoutAsync(b, period: "2026-07"))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, other, "approve");

        Assert.Equal([q3], await IdsAsync("?period=2026-Q3"));
        Assert.Equal([other, july], await IdsAsync("?period=2026-07"));
        Assert.Equal([july, q3], await IdsAsync($"?partnerId={a}"));
        Assert.Equal([other], await IdsAsync("?status=approved"));
        Assert.Equal([other, july, q3], await IdsAsync("?status=approved,pending_approval"));
        Assert.Empty(await IdsAsync("?status=paid"));
    }

    [Fact]
    public async Task List_PagesNewestFirstWithStableCursors()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>());
        }

        var first = await TestOrg.Json(await _org.Viewer.GetAsync("/api/payouts?limit=2", TestContext.Current.CancellationToken));
        var cursor = first["nextCursor"]!.GetValue<string>();
        await _org.CreatePayoutAsync(partnerId);
        var second = await TestOrg.Json(await _org.Viewer.GetAsync($"/api/payouts?limit=2&cursor={cursor}", TestContext.Current.CancellationToken));
        var third = await TestOrg.Json(await _org.Viewer.GetAsync($"/api/payouts?limit=2&cursor={second["nextCursor"]!.GetValue<string>()}", TestContext.Current.CancellationToken));

        var seen = new[] { first, second, third }.SelectMany(page => page["data"]!.AsArray().Select(p => p!["id"]!.GetValue<string>())).ToList();
        created.Reverse();
        Assert.Equal(created, seen);
        Assert.Null(third["nextCursor"]);
    }

    [Fact]
    public async Task List_WithExpandPartner_EmbedsThePartner()
    {
        var partnerId = await _org.CreatePartnerAsync(name: "Acme");
        await _org.CreatePayoutAsync(partnerId);

        var page = await TestOrg.Json(await _org.Viewer.GetAsync("/api/payouts?expand=partner", TestContext.Current.CancellationToken));
        var plain = await TestOrg.Json(await _org.Viewer.GetAsync("/api/payouts", TestContext.Current.CancellationToken));

        var partner = page["data"]![0]!["partner"]!;
        Assert.Equal(partnerId, partner["id"]!.GetValue<string>());
        Assert.Equal("Acme", partner["name"]!.GetValue<string>());
        Assert.Equal("p@example.com", partner["email"]!.GetValue<string>());
        Assert.False(plain["data"]![0]!.AsObject().ContainsKey("partner"));
    }

    [Fact]
    public async Task BulkApprove_ApprovesWhatItCanAndExplainsTheRest()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var ok1 = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        var ok2 = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        var rejected = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, rejected, "reject");
        var own = (await _org.CreatePayoutAsync(partnerId, client: _org.Client("approver-1", "manager")))["id"]!.GetValue<string>();

        var response = await _org.Approver.PostAsJsonAsync("/api/payouts/bulk-approve", new { payoutIds = new[] { ok1, rejected, "po_nope", own, ok2, ok1 } }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await TestOrg.Json(response);
        Assert.Equal([ok1, ok2], result["approved"]!.AsArray().Select(n => n!.GetValue<string>()));
        var skipped = result["skipped"]!.AsArray().ToDictionary(s => s!["id"]!.GetValue<string>(), s => s!["code"]!.GetValue<string>());
        Assert.Equal(new Dictionary<string, string> { [rejected] = "invalid_transition", ["po_nope"] = "not_found", [own] = "separation_of_duties" }, skipped);
        Assert.All(result["skipped"]!.AsArray(), s => Assert.False(string.IsNullOrEmpty(s!["detail"]!.GetValue<string>())));
        Assert.Equal("approved", (await _org.GetPayoutAsync(ok2))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task BulkApprove_With501Ids_Returns400()
    {
        var ids = Enumerable.Range(0, 501).Select(i => $"po_{i}").ToArray();

        var response = await _org.Approver.PostAsJsonAsync("/api/payouts/bulk-approve", new { payoutIds = ids }, TestContext.Current.CancellationToken);

        await ProblemAssert.IsValidationProblemAsync(response, "payoutIds");
    }

    [Fact]
    public async Task Stats_SumsPerCurrencyAndStatusWithFilters()
    {
        var a = await _org.CreatePartnerAsync();
        var b = await _org.CreatePartnerAsync();
        var approved = (await _org.CreatePayoutAsync(a, 1_000))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, approved, "approve");
        var rejected = (await _org.CreatePayoutAsync(a, 2_000))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, rejected, "reject");
        await _org.CreatePayoutAsync(b, 4_000);
        await _org.CreatePayoutAsync(b, 500, currency: "JPY", period: "2026-08");

        var all = await TestOrg.Json(await _org.Viewer.GetAsync("/api/payouts/stats", TestContext.Current.CancellationToken));
        var byPartner = await TestOrg.Json(await _org.Viewer.GetAsync($"/api/payouts/stats?partnerId={a}", TestContext.Current.CancellationToken));
        var byPeriod = await TestOrg.Json(await _org.Viewer.GetAsync("/api/payouts/stats?period=2026-08", TestContext.Current.CancellationToken));

        var currencies = all["currencies"]!.AsArray();
        Assert.Equal(["JPY", "USD"], currencies.Select(c => c!["currency"]!.GetValue<string>()));
        var usd = currencies[1]!;
        AssertBucket(usd["pendingApproval"]!, 1, 4_000);
        AssertBucket(usd["approved"]!, 1, 1_000);
        AssertBucket(usd["rejected"]!, 1, 2_000);
        AssertBucket(usd["paid"]!, 0, 0);
        AssertBucket(usd["total"]!, 2, 5_000);
        AssertBucket(byPartner["currencies"]![0]!["total"]!, 1, 1_000);
        Assert.Equal("JPY", byPeriod["currencies"]!.AsArray().Single()!["currency"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stats_ForTheSeededDemoOrganization_MatchesTheOriginalDashboard()
    {
        var viewer = factory.ClientFor("demo", "viewer-demo", "viewer");

        var stats = await TestOrg.Json(await viewer.GetAsync("/api/payouts/stats", TestContext.Current.CancellationToken));

        var usd = stats["currencies"]!.AsArray().Single()!;
        Assert.Equal("USD", usd["currency"]!.GetValue<string>());
        AssertBucket(usd["pendingApproval"]!, 2, 2_200_000);
        AssertBucket(usd["approved"]!, 1, 563_000);
        AssertBucket(usd["paid"]!, 2, 2_137_000);
        AssertBucket(usd["total"]!, 5, 4_900_000);
    }

    [Fact]
    public async Task Export_StreamsCsvWithMajorUnitsAndFormulaGuard()
    {
        var partnerId = await _org.CreatePartnerAsync(name: "=HYPERLINK(\"x\")");
        await _org.CreatePayoutAsync(partnerId, 123_456, notes: "+1 call, \"quoted\"");
        await _org.CreatePayoutAsync(partnerId, 1_234, currency: "JPY");
        await _org.CreatePayoutAsync(partnerId, 1_234, currency: "BHD", notes: "-minus");

        var response = await _org.Viewer.GetAsync("/api/payouts/export", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        var lines = (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Split("\r\n");
        Assert.Equal("id,partner_id,partner_name,amount,currency,status,period,created_at,approved_at,paid_at,payment_reference,notes", lines[0]);
        Assert.Equal("", lines[^1]);
        Assert.Equal(5, lines.Length);
        Assert.Contains(",1.234,BHD,pending_approval,2026-07,", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",\"'-minus\"", lines[1], StringComparison.Ordinal);
        Assert.Contains(",1234,JPY,", lines[2], StringComparison.Ordinal);
        Assert.Contains(",1234.56,USD,", lines[3], StringComparison.Ordinal);
        Assert.Contains("\"'=HYPERLINK(\"\"x\"\")\"", lines[3], StringComparison.Ordinal);
        Assert.EndsWith("\"'+1 call, \"\"quoted\"\"\"", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditLog_PagesTheOrganizationsEventsNewestFirst()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, id, "approve");
        await _org.ActAsync(_org.Finance, id, "mark-paid");

        var first = await TestOrg.Json(await _org.Viewer.GetAsync("/api/audit-log?limit=2", TestContext.Current.CancellationToken));
        var second = await TestOrg.Json(await _org.Viewer.GetAsync($"/api/audit-log?limit=2&cursor={first["nextCursor"]!.GetValue<string>()}", TestContext.Current.CancellationToken));

        var types = first["data"]!.AsArray().Concat(second["data"]!.AsArray()).Select(e => e!["type"]!.GetValue<string>());
        Assert.Equal(["payout.paid", "payout.approved", "payout.created"], types);
        Assert.Null(second["nextCursor"]);
        var entry = first["data"]![0]!;
        Assert.Equal(id, entry["payoutId"]!.GetValue<string>());
        Assert.Equal($"{id}-00000003", entry["id"]!.GetValue<string>());
        Assert.EndsWith("Z", entry["at"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_IsAnonymous()
    {
        var response = await factory.CreateClient().GetAsync("/api/health", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await TestOrg.Json(response))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnknownRoute_Returns404Problem()
    {
        var response = await _org.Viewer.GetAsync("/api/nowhere", TestContext.Current.CancellationToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    private static void AssertBucket(JsonNode bucket, long count, long amount)
    {
        Assert.Equal(count, bucket["count"]!.GetValue<long>());
        Assert.Equal(amount, bucket["amount"]!.GetValue<long>());
    }

    private async Task<List<string>> IdsAsync(string query)
    {
        var page = await TestOrg.Json(await _org.Viewer.GetAsync("/api/payouts" + query, TestContext.Current.CancellationToken));
        return page["data"]!.AsArray().Select(p => p!["id"]!.GetValue<string>()).ToList();
    }
}
