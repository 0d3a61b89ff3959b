using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace PartnerBase.Functions.Tests.Api;

/// <summary>Bad input gets a clear 4xx problem naming the field at fault, and changes nothing.</summary>
public sealed class MalformedRequestTests(ApiFactory factory)
{
    private const string Valid = """ "partnerId": "{partner}", "currency": "USD", "period": "2026-07" """;

    public static TheoryData<string, string, string, string, int, string?> Cases => new()
    {
        // name, method, path, body, status, field at fault
        { "not JSON", "POST", "/api/payouts", "{\"partnerId\":", 400, "body" },
        { "array instead of object", "POST", "/api/payouts", "[1,2]", 400, "body" },
        { "empty body", "POST", "/api/payouts", "", 400, "body" },
        { "amount as string", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": "100" }""", 400, "amount" },
        { "fractional amount", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": 10.5 }""", 400, "amount" },
        { "zero amount", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": 0 }""", 400, "amount" },
        { "negative amount", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": -100 }""", 400, "amount" },
        { "amount over the limit", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": 1000000000001 }""", 400, "amount" },
        { "amount overflowing int64", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": 9223372036854775808 }""", 400, "amount" },
        { "amount in exponent form", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": 1e30 }""", 400, "amount" },
        { "amount boolean", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": true }""", 400, "amount" },
        { "amount missing", "POST", "/api/payouts", $$"""{ {{Valid}} }""", 400, "amount" },
        { "lower-case currency", "POST", "/api/payouts", """{ "partnerId": "{partner}", "amount": 1, "currency": "usd", "period": "2026-07" }""", 400, "currency" },
        { "unknown currency", "POST", "/api/payouts", """{ "partnerId": "{partner}", "amount": 1, "currency": "XYZ", "period": "2026-07" }""", 400, "currency" },
        { "two-letter currency", "POST", "/api/payouts", """{ "partnerId": "{partner}", "amount": 1, "currency": "US", "period": "2026-07" }""", 400, "currency" },
        { "numeric currency", "POST", "/api/payouts", """{ "partnerId": "{partner}", "amount": 1, "currency": 840, "period": "2026-07" }""", 400, "currency" },
        { "month 13", "POST", "/api/payouts", """{ "partnerId": "{partner}", "amount": 1, "currency": "USD", "period": "2026-13" }""", 400, "period" },
        { "quarter 5", "POST", "/api/payouts", """{ "partnerId": "{partner}", "amount": 1, "currency": "USD", "period": "2026-Q5" }""", 400, "period" },
        { "two-digit year", "POST", "/api/payouts", """{ "partnerId": "{partner}", "amount": 1, "currency": "USD", "period": "26-07" }""", 400, "period" },
        { "period missing", "POST", "/api/payouts", """{ "partnerId": "{partner}", "amount": 1, "currency": "USD" }""", 400, "period" },
        { "unknown partner", "POST", "/api/payouts", """{ "partnerId": "ghost", "amount": 1, "currency": "USD", "period": "2026-07" }""", 400, "partnerId" },
        { "partner missing", "POST", "/api/payouts", """{ "amount": 1, "currency": "USD", "period": "2026-07" }""", 400, "partnerId" },
        { "partner as number", "POST", "/api/payouts", """{ "partnerId": 7, "amount": 1, "currency": "USD", "period": "2026-07" }""", 400, "partnerId" },
        { "21 metadata keys", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": 1, "metadata": { {{string.Join(",", Enumerable.Range(0, 21).Select(i => $"\"k{i}\":\"v\""))}} } }""", 400, "metadata" },
        { "metadata value not a string", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": 1, "metadata": { "k": 1 } }""", 400, "metadata" },
        { "metadata key too long", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": 1, "metadata": { "{{new string('k', 41)}}": "v" } }""", 400, "metadata" },
        { "metadata not an object", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": 1, "metadata": "x" }""", 400, "metadata" },
        { "notes too long", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": 1, "notes": "{{new string('n', 2001)}}" }""", 400, "notes" },
        { "body over 1 MiB", "POST", "/api/payouts", $$"""{ {{Valid}}, "amount": 1, "notes": "{{new string('n', 1_100_000)}}" }""", 413, null },
        { "update with negative amount", "PATCH", "/api/payouts/{payout}", """{ "amount": -1 }""", 400, "amount" },
        { "update with nothing", "PATCH", "/api/payouts/{payout}", "{}", 400, "body" },
        { "update with bad period", "PATCH", "/api/payouts/{payout}", """{ "period": "July" }""", 400, "period" },
        { "reject reason too long", "POST", "/api/payouts/{payout}/reject", $$"""{ "reason": "{{new string('r', 1001)}}" }""", 400, "reason" },
        { "mark-paid reference wrong type", "POST", "/api/payouts/{payout}/mark-paid", """{ "paymentReference": 5 }""", 400, "paymentReference" },
        { "bulk-approve empty", "POST", "/api/payouts/bulk-approve", """{ "payoutIds": [] }""", 400, "payoutIds" },
        { "bulk-approve not a list", "POST", "/api/payouts/bulk-approve", """{ "payoutIds": "po_1" }""", 400, "payoutIds" },
        { "list limit 0", "GET", "/api/payouts?limit=0", "", 400, "limit" },
        { "list limit text", "GET", "/api/payouts?limit=ten", "", 400, "limit" },
        { "list unknown status", "GET", "/api/payouts?status=pending", "", 400, "status" },
        { "list forged cursor", "GET", "/api/payouts?cursor=not-a-cursor", "", 400, "cursor" },
        { "list bad period", "GET", "/api/payouts?period=2026-7", "", 400, "period" },
        { "list unknown expand", "GET", "/api/payouts?expand=owner", "", 400, "expand" },
        { "stats bad period", "GET", "/api/payouts/stats?period=Q3", "", 400, "period" },
        { "audit limit too big", "GET", "/api/audit-log?limit=101", "", 400, "limit" },
        { "partner rate over 100%", "POST", "/api/partners", """{ "name": "P", "email": "p@example.com", "commissionRateBps": 10001 }""", 400, "commissionRateBps" },
        { "partner bad email", "POST", "/api/partners", """{ "name": "P", "email": "not-an-email", "commissionRateBps": 100 }""", 400, "email" },
        { "partner bad id", "POST", "/api/partners", """{ "id": "a/b", "name": "P", "email": "p@example.com", "commissionRateBps": 100 }""", 400, "id" },
        { "organization lower-case minimum currency", "PATCH", "/api/organization", """{ "minimumPayouts": { "usd": 5 } }""", 400, "minimumPayouts" },
        { "organization bad approver email", "PATCH", "/api/organization", """{ "approverEmails": ["nobody"] }""", 400, "approverEmails" },
        { "organization automaticPayments as string", "PATCH", "/api/organization", """{ "automaticPayments": "yes" }""", 400, "automaticPayments" },
        { "organization requireVerifiedTaxForm as string", "PATCH", "/api/organization", """{ "requireVerifiedTaxForm": "yes" }""", 400, "requireVerifiedTaxForm" },
        { "organization requireVerifiedTaxForm null", "PATCH", "/api/organization", """{ "requireVerifiedTaxForm": null }""", 400, "requireVerifiedTaxForm" },
        { "partner unknown taxFormStatus", "POST", "/api/partners", """{ "name": "P", "email": "p@example.com", "commissionRateBps": 100, "taxFormStatus": "bogus" }""", 400, "taxFormStatus" },
        { "partner taxFormStatus as number", "PATCH", "/api/partners/{partner}", """{ "taxFormStatus": 2 }""", 400, "taxFormStatus" },
        { "partner sets payable", "POST", "/api/partners", """{ "name": "P", "email": "p@example.com", "commissionRateBps": 100, "payable": true }""", 400, "payable" },
        { "partner update sets payableBlockers", "PATCH", "/api/partners/{partner}", """{ "payableBlockers": [] }""", 400, "payableBlockers" },
        { "organization holdDays 366", "PATCH", "/api/organization", """{ "holdDays": 366 }""", 400, "holdDays" },
        { "organization holdDays negative", "PATCH", "/api/organization", """{ "holdDays": -1 }""", 400, "holdDays" },
        { "organization holdDays fractional", "PATCH", "/api/organization", """{ "holdDays": 1.5 }""", 400, "holdDays" },
        { "organization holdDays as string", "PATCH", "/api/organization", """{ "holdDays": "7" }""", 400, "holdDays" },
        { "organization holdDays null", "PATCH", "/api/organization", """{ "holdDays": null }""", 400, "holdDays" },
        { "organization approvalPolicy not an object", "PATCH", "/api/organization", """{ "approvalPolicy": "strict" }""", 400, "approvalPolicy" },
        { "organization dual threshold as string", "PATCH", "/api/organization", """{ "approvalPolicy": { "dualApprovalAtOrAbove": { "USD": "100" } } }""", 400, "approvalPolicy" },
        { "organization dual threshold unknown currency", "PATCH", "/api/organization", """{ "approvalPolicy": { "dualApprovalAtOrAbove": { "XYZ": 100 } } }""", 400, "approvalPolicy.dualApprovalAtOrAbove" },
        { "organization dual threshold over the limit", "PATCH", "/api/organization", """{ "approvalPolicy": { "dualApprovalAtOrAbove": { "USD": 1000000000001 } } }""", 400, "approvalPolicy.dualApprovalAtOrAbove" },
        { "organization auto-approve negative", "PATCH", "/api/organization", """{ "approvalPolicy": { "autoApproveBelow": { "EUR": -5 } } }""", 400, "approvalPolicy.autoApproveBelow" },
        { "organization auto-approve map as list", "PATCH", "/api/organization", """{ "approvalPolicy": { "autoApproveBelow": [100] } }""", 400, "approvalPolicy" },
        { "organization minimum null-valued currency that is unknown", "PATCH", "/api/organization", """{ "minimumPayouts": { "ABC": null } }""", 400, "minimumPayouts" },
        { "organization bad finance email", "PATCH", "/api/organization", """{ "financeEmails": ["finance"] }""", 400, "financeEmails" },
        { "organization finance emails not a list", "PATCH", "/api/organization", """{ "financeEmails": "f@example.com" }""", 400, "financeEmails" },
        { "statements period missing", "POST", "/api/statements", "{}", 400, "period" },
        { "statements month 13", "POST", "/api/statements", """{ "period": "2026-13" }""", 400, "period" },
        { "statements period as number", "POST", "/api/statements", """{ "period": 202607 }""", 400, "period" },
        { "statements period not started", "POST", "/api/statements", """{ "period": "2999-01" }""", 400, "period" },
        { "statement list forged cursor", "GET", "/api/partners/{partner}/statements?cursor=not-a-cursor", "", 400, "cursor" },
        { "statement bad period", "GET", "/api/partners/{partner}/statements/July", "", 400, "period" },
        { "reconciliation from after to", "POST", "/api/reconciliation-runs", """{ "from": "2026-11-02", "to": "2026-11-01" }""", 400, "from" },
        { "reconciliation from not a date", "POST", "/api/reconciliation-runs", """{ "from": "yesterday" }""", 400, "from" },
        { "reconciliation timestamp without offset", "POST", "/api/reconciliation-runs", """{ "to": "2026-11-01T00:00:00" }""", 400, "to" },
        { "reconciliation window over a year", "POST", "/api/reconciliation-runs", """{ "from": "2024-01-01", "to": "2026-01-01" }""", 400, "from" },
        { "reconciliation from as number", "POST", "/api/reconciliation-runs", """{ "from": 5 }""", 400, "from" },
        { "reconciliation list limit 0", "GET", "/api/reconciliation-runs?limit=0", "", 400, "limit" },
        { "webhook url missing", "POST", "/api/webhook-endpoints", """{ "eventTypes": ["*"] }""", 400, "url" },
        { "webhook url ftp", "POST", "/api/webhook-endpoints", """{ "url": "ftp://hooks.example.com/x", "eventTypes": ["*"] }""", 400, "url" },
        { "webhook url relative", "POST", "/api/webhook-endpoints", """{ "url": "/hook", "eventTypes": ["*"] }""", 400, "url" },
        { "webhook url with credentials", "POST", "/api/webhook-endpoints", """{ "url": "https://user:pw@hooks.example.com/x", "eventTypes": ["*"] }""", 400, "url" },
        { "webhook url too long", "POST", "/api/webhook-endpoints", $$"""{ "url": "https://hooks.example.com/{{new string('a', 2040)}}", "eventTypes": ["*"] }""", 400, "url" },
        { "webhook url as number", "POST", "/api/webhook-endpoints", """{ "url": 5, "eventTypes": ["*"] }""", 400, "url" },
        { "webhook event types missing", "POST", "/api/webhook-endpoints", """{ "url": "https://hooks.example.com/x" }""", 400, "eventTypes" },
        { "webhook event types empty", "POST", "/api/webhook-endpoints", """{ "url": "https://hooks.example.com/x", "eventTypes": [] }""", 400, "eventTypes" },
        { "webhook unknown event type", "POST", "/api/webhook-endpoints", """{ "url": "https://hooks.example.com/x", "eventTypes": ["payout.exploded"] }""", 400, "eventTypes" },
        { "webhook event type with prefix", "POST", "/api/webhook-endpoints", """{ "url": "https://hooks.example.com/x", "eventTypes": ["com.partnerbase.payout.paid"] }""", 400, "eventTypes" },
        { "webhook star with others", "POST", "/api/webhook-endpoints", """{ "url": "https://hooks.example.com/x", "eventTypes": ["*", "payout.paid"] }""", 400, "eventTypes" },
        { "webhook event types as string", "POST", "/api/webhook-endpoints", """{ "url": "https://hooks.example.com/x", "eventTypes": "*" }""", 400, "eventTypes" },
        { "webhook description too long", "POST", "/api/webhook-endpoints", $$"""{ "url": "https://hooks.example.com/x", "eventTypes": ["*"], "description": "{{new string('d', 501)}}" }""", 400, "description" },
        { "webhook patch unknown status", "PATCH", "/api/webhook-endpoints/{webhook}", """{ "status": "paused" }""", 400, "status" },
        { "webhook patch null url", "PATCH", "/api/webhook-endpoints/{webhook}", """{ "url": null }""", 400, "url" },
        { "webhook patch null event types", "PATCH", "/api/webhook-endpoints/{webhook}", """{ "eventTypes": null }""", 400, "eventTypes" },
        { "webhook patch bad url", "PATCH", "/api/webhook-endpoints/{webhook}", """{ "url": "not a url" }""", 400, "url" },
        { "webhook deliveries limit 0", "GET", "/api/webhook-endpoints/{webhook}/deliveries?limit=0", "", 400, "limit" },
        { "webhook deliveries bad cursor", "GET", "/api/webhook-endpoints/{webhook}/deliveries?cursor=%%%", "", 400, "cursor" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Request_Malformed_Returns4xxProblemAndChangesNothing(string name, string method, string path, string body, int status, string? field)
    {
        var ct = TestContext.Current.CancellationToken;
        var org = new TestOrg(factory);
        var partnerId = await org.CreatePartnerAsync();
        var payoutId = (await org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        var webhookId = path.Contains("{webhook}", StringComparison.Ordinal)
            ? (await TestOrg.Json(await org.Admin.PostAsJsonAsync("/api/webhook-endpoints", new { url = "http://127.0.0.1:9/hook", eventTypes = new[] { "payout.paid" } }, ct)))["id"]!.GetValue<string>()
            : "";
        var before = await SnapshotAsync(org);
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{payout}", payoutId, StringComparison.Ordinal).Replace("{partner}", partnerId, StringComparison.Ordinal).Replace("{webhook}", webhookId, StringComparison.Ordinal))
        {
            Content = method == "GET" ? null : new StringContent(body.Replace("{partner}", partnerId, StringComparison.Ordinal), Encoding.UTF8, "application/json"),
        };

        var response = await org.Admin.SendAsync(request, ct);

        if (field is null)
        {
            await ProblemAssert.IsProblemAsync(response, (HttpStatusCode)status, "payload_too_large");
        }
        else
        {
            var problem = await ProblemAssert.IsValidationProblemAsync(response, field);
            Assert.False(string.IsNullOrEmpty(problem["detail"]?.GetValue<string>()), name);
        }

        Assert.Equal(before, await SnapshotAsync(org));
    }

    [Fact]
    public async Task Request_WithNonJsonContentType_Returns415()
    {
        var org = new TestOrg(factory);

        var response = await org.Manager.PostAsync("/api/payouts", new StringContent("amount=1", Encoding.UTF8, "application/x-www-form-urlencoded"), TestContext.Current.CancellationToken);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        Assert.Contains("application/json", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_ChunkedBodyOverOneMiB_Returns413AndCreatesNothing()
    {
        var org = new TestOrg(factory);
        var partnerId = await org.CreatePartnerAsync();
        // No Content-Length: the limit is met while the body is read, not before.
        var body = new MemoryStream(Encoding.UTF8.GetBytes($$"""{ "partnerId": "{{partnerId}}", "amount": 1, "currency": "USD", "period": "2026-07", "notes": "{{new string('n', 1_100_000)}}" }"""));
        var content = new StreamContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/payouts") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await org.Manager.SendAsync(request, TestContext.Current.CancellationToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Empty((await TestOrg.Json(await org.Viewer.GetAsync("/api/payouts", TestContext.Current.CancellationToken)))["data"]!.AsArray());
    }

    [Fact]
    public async Task Update_WithOnlyAnInvalidField_NamesOnlyThatField()
    {
        var org = new TestOrg(factory);
        var id = (await org.CreatePayoutAsync(await org.CreatePartnerAsync()))["id"]!.GetValue<string>();

        var response = await org.Manager.PatchAsync($"/api/payouts/{id}", new StringContent("""{ "currency": "eur" }""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        var problem = await ProblemAssert.IsValidationProblemAsync(response, "currency");
        Assert.Equal(["currency"], problem["errors"]!.AsObject().Select(e => e.Key));
    }

    [Theory]
    [InlineData(" ", 2)]
    [InlineData("k", 256)]
    public async Task Request_WithIdempotencyKeyBlankOrOver255Characters_Returns400(string unit, int repeat)
    {
        var org = new TestOrg(factory);
        var partnerId = await org.CreatePartnerAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/payouts")
        {
            Content = new StringContent($$"""{ "partnerId": "{{partnerId}}", "amount": 1, "currency": "USD", "period": "2026-07" }""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", string.Concat(Enumerable.Repeat(unit, repeat)));

        var response = await org.Manager.SendAsync(request, TestContext.Current.CancellationToken);

        await ProblemAssert.IsValidationProblemAsync(response, "Idempotency-Key");
        Assert.Empty((await TestOrg.Json(await org.Viewer.GetAsync("/api/payouts", TestContext.Current.CancellationToken)))["data"]!.AsArray());
    }

    private static async Task<string> SnapshotAsync(TestOrg org)
    {
        var ct = TestContext.Current.CancellationToken;
        var parts = new List<string>();
        foreach (var path in new[] { "/api/payouts?limit=100", "/api/partners?limit=100", "/api/audit-log?limit=100", "/api/organization" })
        {
            parts.Add(await org.Viewer.GetStringAsync(path, ct));
        }

        parts.Add(await org.Finance.GetStringAsync("/api/reconciliation-runs?limit=100", ct));
        parts.Add(await org.Admin.GetStringAsync("/api/webhook-endpoints", ct));
        foreach (var partner in (await TestOrg.Json(await org.Viewer.GetAsync("/api/partners?limit=100", ct)))["data"]!.AsArray())
        {
            parts.Add(await org.Viewer.GetStringAsync($"/api/partners/{partner!["id"]}/statements?limit=100", ct));
        }

        return string.Join("\n", parts);
    }
}
