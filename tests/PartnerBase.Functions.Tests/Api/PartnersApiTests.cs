using System.Net;
using System.Net.Http.Json;

namespace PartnerBase.Functions.Tests.Api;

public sealed class PartnersApiTests(ApiFactory factory)
{
    private readonly TestOrg _org = new(factory);

    [Fact]
    public async Task Create_ThenGetAndList_ReturnsThePartner()
    {
        var ct = TestContext.Current.CancellationToken;
        var response = await _org.Manager.PostAsJsonAsync("/api/partners", new { id = "acme", name = "Acme", email = "pay@acme.example", commissionRateBps = 1250, payoutCurrency = "EUR", payoutAccountId = "acct_1" }, ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/partners/acme", response.Headers.Location?.ToString());
        var partner = await TestOrg.Json(await _org.Viewer.GetAsync("/api/partners/acme", ct));
        Assert.Equal("Acme", partner["name"]!.GetValue<string>());
        Assert.Equal(1250, partner["commissionRateBps"]!.GetValue<int>());
        Assert.Equal("EUR", partner["payoutCurrency"]!.GetValue<string>());
        Assert.Equal("acct_1", partner["payoutAccountId"]!.GetValue<string>());
        var list = await TestOrg.Json(await _org.Viewer.GetAsync("/api/partners", ct));
        Assert.Equal(["acme"], list["data"]!.AsArray().Select(p => p!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Create_WithoutId_GeneratesOne()
    {
        var id = await _org.CreatePartnerAsync();

        Assert.StartsWith("pt_", id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WithExistingId_Returns409Conflict()
    {
        await _org.CreatePartnerAsync("dup");

        var response = await _org.Manager.PostAsJsonAsync("/api/partners", new { id = "dup", name = "Other", email = "o@example.com", commissionRateBps = 1 }, TestContext.Current.CancellationToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "conflict");
        Assert.Equal("Partner", (await TestOrg.Json(await _org.Viewer.GetAsync("/api/partners/dup", TestContext.Current.CancellationToken)))["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_WithIfMatch_ChangesAndRejectsStaleVersions()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await _org.CreatePartnerAsync(account: "acct_old");
        using var update = new HttpRequestMessage(HttpMethod.Patch, $"/api/partners/{id}") { Content = JsonContent.Create(new { commissionRateBps = 2000, payoutAccountId = "" }) };
        update.Headers.TryAddWithoutValidation("If-Match", "\"1\"");

        var response = await _org.Manager.SendAsync(update, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var partner = await TestOrg.Json(response);
        Assert.Equal(2000, partner["commissionRateBps"]!.GetValue<int>());
        Assert.Null(partner["payoutAccountId"]);
        Assert.Equal(2, partner["version"]!.GetValue<long>());
        using var stale = new HttpRequestMessage(HttpMethod.Patch, $"/api/partners/{id}") { Content = JsonContent.Create(new { name = "Stale" }) };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        await ProblemAssert.IsProblemAsync(await _org.Manager.SendAsync(stale, ct), HttpStatusCode.PreconditionFailed, "precondition_failed");
    }

    [Fact]
    public async Task Update_NullClearsWhatMayBeEmpty_AndIsRejectedElsewhere()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await _org.CreatePartnerAsync(account: "acct_compromised");

        var cleared = await _org.Manager.PatchAsync($"/api/partners/{id}", Body("""{ "payoutAccountId": null, "payoutCurrency": null }"""), ct);
        var nulled = await _org.Manager.PatchAsync($"/api/partners/{id}", Body("""{ "name": null, "email": null, "commissionRateBps": null }"""), ct);

        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        Assert.Null((await TestOrg.Json(cleared))["payoutAccountId"]);
        var problem = await ProblemAssert.IsValidationProblemAsync(nulled, "name");
        Assert.Equal(["commissionRateBps", "email", "name"], problem["errors"]!.AsObject().Select(e => e.Key).Order(StringComparer.Ordinal));
        var partner = await TestOrg.Json(await _org.Viewer.GetAsync($"/api/partners/{id}", ct));
        Assert.Equal("Partner", partner["name"]!.GetValue<string>());
        Assert.Null(partner["payoutAccountId"]);
        Assert.Equal(2, partner["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Create_WithoutTaxFormStatus_IsMissingAndPayableUnderDefaultSettings()
    {
        var id = await _org.CreatePartnerAsync();

        var partner = await TestOrg.Json(await _org.Viewer.GetAsync($"/api/partners/{id}", TestContext.Current.CancellationToken));

        Assert.Equal("missing", partner["taxFormStatus"]!.GetValue<string>());
        Assert.True(partner["payable"]!.GetValue<bool>());
        Assert.Empty(partner["payableBlockers"]!.AsArray());
    }

    [Fact]
    public async Task TaxFormStatus_SetOnCreateAndPatch_IsReadBackEverywhere()
    {
        var ct = TestContext.Current.CancellationToken;
        var created = await _org.Manager.PostAsJsonAsync("/api/partners", new { id = "taxed", name = "T", email = "t@example.com", commissionRateBps = 100, taxFormStatus = "submitted" }, ct);
        Assert.Equal("submitted", (await TestOrg.Json(created))["taxFormStatus"]!.GetValue<string>());

        var patched = await _org.Manager.PatchAsJsonAsync("/api/partners/taxed", new { taxFormStatus = "verified" }, ct);
        var untouched = await _org.Manager.PatchAsJsonAsync("/api/partners/taxed", new { name = "Renamed" }, ct);

        Assert.Equal("verified", (await TestOrg.Json(patched))["taxFormStatus"]!.GetValue<string>());
        Assert.Equal("verified", (await TestOrg.Json(untouched))["taxFormStatus"]!.GetValue<string>());
        Assert.Equal("verified", (await TestOrg.Json(await _org.Viewer.GetAsync("/api/partners/taxed", ct)))["taxFormStatus"]!.GetValue<string>());
        var listed = (await TestOrg.Json(await _org.Viewer.GetAsync("/api/partners", ct)))["data"]!.AsArray().Single()!;
        Assert.Equal("verified", listed["taxFormStatus"]!.GetValue<string>());
        Assert.Equal(3, listed["version"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(false, "missing", false, null, "")]
    [InlineData(false, "submitted", true, "acct_1", "")]
    [InlineData(true, "missing", false, null, "tax_form_not_verified")]
    [InlineData(true, "submitted", false, "acct_1", "tax_form_not_verified")]
    [InlineData(true, "verified", false, null, "")]
    [InlineData(false, "missing", true, null, "no_payout_account")]
    [InlineData(true, "verified", true, null, "no_payout_account")]
    [InlineData(true, "submitted", true, null, "tax_form_not_verified,no_payout_account")]
    [InlineData(true, "verified", true, "acct_1", "")]
    public async Task Payable_FollowsTaxFormAndAccountUnderTheOrganizationsSettings(
        bool requireVerifiedTaxForm, string taxFormStatus, bool automaticPayments, string? account, string expectedBlockers)
    {
        var ct = TestContext.Current.CancellationToken;
        await TestOrg.ExpectAsync(await _org.Admin.PatchAsJsonAsync("/api/organization", new { requireVerifiedTaxForm, automaticPayments }, ct), HttpStatusCode.OK);
        var created = await _org.Manager.PostAsJsonAsync("/api/partners", new { id = "gated", name = "G", email = "g@example.com", commissionRateBps = 100, taxFormStatus, payoutAccountId = account }, ct);

        var fromCreate = await TestOrg.Json(created);
        var fromGet = await TestOrg.Json(await _org.Viewer.GetAsync("/api/partners/gated", ct));
        var fromList = (await TestOrg.Json(await _org.Viewer.GetAsync("/api/partners", ct)))["data"]!.AsArray().Single()!.AsObject();

        string[] expected = expectedBlockers.Length == 0 ? [] : expectedBlockers.Split(',');
        foreach (var partner in new[] { fromCreate, fromGet, fromList })
        {
            Assert.Equal(expected, partner["payableBlockers"]!.AsArray().Select(b => b!.GetValue<string>()));
            Assert.Equal(expected.Length == 0, partner["payable"]!.GetValue<bool>());
        }
    }

    [Fact]
    public async Task Payable_IsRecomputedWhenTheOrganizationsSettingsChange()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await _org.CreatePartnerAsync();
        await _org.Admin.PatchAsJsonAsync("/api/organization", new { requireVerifiedTaxForm = true }, ct);

        var blocked = await TestOrg.Json(await _org.Viewer.GetAsync($"/api/partners/{id}", ct));
        var verified = await TestOrg.Json(await _org.Manager.PatchAsJsonAsync($"/api/partners/{id}", new { taxFormStatus = "verified" }, ct));

        Assert.False(blocked["payable"]!.GetValue<bool>());
        Assert.Equal(["tax_form_not_verified"], blocked["payableBlockers"]!.AsArray().Select(b => b!.GetValue<string>()));
        Assert.True(verified["payable"]!.GetValue<bool>());
        Assert.Empty(verified["payableBlockers"]!.AsArray());
    }

    [Theory]
    [InlineData("""{ "payable": true }""", "payable")]
    [InlineData("""{ "payableBlockers": [] }""", "payableBlockers")]
    [InlineData("""{ "taxFormStatus": null }""", "taxFormStatus")]
    [InlineData("""{ "taxFormStatus": "bogus" }""", "taxFormStatus")]
    public async Task Update_ReadOnlyOrInvalidPayableFields_Returns400AndChangesNothing(string body, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await _org.CreatePartnerAsync();

        var response = await _org.Manager.PatchAsync($"/api/partners/{id}", Body(body), ct);

        var problem = await ProblemAssert.IsValidationProblemAsync(response, field);
        Assert.Equal([field], problem["errors"]!.AsObject().Select(e => e.Key));
        var partner = await TestOrg.Json(await _org.Viewer.GetAsync($"/api/partners/{id}", ct));
        Assert.Equal(1, partner["version"]!.GetValue<long>());
        Assert.Equal("missing", partner["taxFormStatus"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_SettingPayable_Returns400AndCreatesNothing()
    {
        var ct = TestContext.Current.CancellationToken;

        var response = await _org.Manager.PostAsync("/api/partners", Body("""{ "id": "sneaky", "name": "S", "email": "s@example.com", "commissionRateBps": 1, "payable": true, "payableBlockers": [] }"""), ct);

        var problem = await ProblemAssert.IsValidationProblemAsync(response, "payable");
        Assert.Equal(["payable", "payableBlockers"], problem["errors"]!.AsObject().Select(e => e.Key).Order(StringComparer.Ordinal));
        await ProblemAssert.IsProblemAsync(await _org.Viewer.GetAsync("/api/partners/sneaky", ct), HttpStatusCode.NotFound, "not_found");
    }

    private static StringContent Body(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task GetAndUpdate_UnknownPartner_Return404()
    {
        var ct = TestContext.Current.CancellationToken;

        await ProblemAssert.IsProblemAsync(await _org.Viewer.GetAsync("/api/partners/nobody", ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await _org.Manager.PatchAsJsonAsync("/api/partners/nobody", new { name = "x" }, ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await _org.Viewer.GetAsync("/api/partners/nobody/payout-summary", ct), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task PayoutSummary_SumsLifetimePaidPendingAndFailedPerCurrency()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var paid = (await _org.CreatePayoutAsync(partnerId, 5_000))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, paid, "approve");
        var paidPayout = await _org.ActAsync(_org.Finance, paid, "mark-paid");
        var failed = (await _org.CreatePayoutAsync(partnerId, 700))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, failed, "approve");
        await _org.ActAsync(_org.Finance, failed, "mark-processing");
        await _org.ActAsync(_org.Finance, failed, "mark-failed");
        await _org.CreatePayoutAsync(partnerId, 300);
        var approved = (await _org.CreatePayoutAsync(partnerId, 200))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, approved, "approve");

        var summary = await TestOrg.Json(await _org.Viewer.GetAsync($"/api/partners/{partnerId}/payout-summary", TestContext.Current.CancellationToken));

        Assert.Equal(partnerId, summary["partnerId"]!.GetValue<string>());
        var usd = summary["currencies"]!.AsArray().Single()!;
        Assert.Equal(1, usd["lifetimePaid"]!["count"]!.GetValue<long>());
        Assert.Equal(5_000, usd["lifetimePaid"]!["amount"]!.GetValue<long>());
        Assert.Equal(2, usd["pending"]!["count"]!.GetValue<long>());
        Assert.Equal(500, usd["pending"]!["amount"]!.GetValue<long>());
        Assert.Equal(700, usd["failed"]!["amount"]!.GetValue<long>());
        Assert.Equal(paid, summary["lastPayout"]!["id"]!.GetValue<string>());
        Assert.Equal(paidPayout["paidAt"]!.GetValue<string>(), summary["lastPayout"]!["paidAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task PayoutSummary_WithNoPayouts_HasNoLastPayout()
    {
        var partnerId = await _org.CreatePartnerAsync();

        var summary = await TestOrg.Json(await _org.Viewer.GetAsync($"/api/partners/{partnerId}/payout-summary", TestContext.Current.CancellationToken));

        Assert.Empty(summary["currencies"]!.AsArray());
        Assert.Null(summary["lastPayout"]);
    }
}
