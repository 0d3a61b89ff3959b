using System.Net;
using System.Net.Http.Json;

namespace PartnerBase.Functions.Tests.Api;

public sealed class OrganizationApiTests(ApiFactory factory)
{
    private readonly TestOrg _org = new(factory);

    [Fact]
    public async Task Get_NeverConfigured_ReturnsDefaults()
    {
        var settings = await TestOrg.Json(await _org.Viewer.GetAsync("/api/organization", TestContext.Current.CancellationToken));

        Assert.Equal(_org.Id, settings["orgId"]!.GetValue<string>());
        Assert.Empty(settings["minimumPayouts"]!.AsObject());
        Assert.False(settings["automaticPayments"]!.GetValue<bool>());
        Assert.Empty(settings["approverEmails"]!.AsArray());
        Assert.False(settings["requireVerifiedTaxForm"]!.GetValue<bool>());
        Assert.Empty(settings["approvalPolicy"]!["dualApprovalAtOrAbove"]!.AsObject());
        Assert.Empty(settings["approvalPolicy"]!["autoApproveBelow"]!.AsObject());
        Assert.Equal(0, settings["holdDays"]!.GetValue<int>());
    }

    [Fact]
    public async Task Patch_ThresholdMaps_AreMergedAndANullCurrencyRemovesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await Patch("""{ "approvalPolicy": { "dualApprovalAtOrAbove": { "USD": 100000, "EUR": 90000 }, "autoApproveBelow": { "USD": 5000 } }, "minimumPayouts": { "USD": 5000 }, "holdDays": 30 }""");

        var response = await Patch("""{ "approvalPolicy": { "dualApprovalAtOrAbove": { "EUR": null, "JPY": 1000000 } }, "minimumPayouts": { "EUR": 100 } }""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var settings = await TestOrg.Json(await _org.Viewer.GetAsync("/api/organization", ct));
        Assert.Equal(
            """{"USD":100000,"JPY":1000000}""",
            settings["approvalPolicy"]!["dualApprovalAtOrAbove"]!.ToJsonString());
        Assert.Equal(5000, settings["approvalPolicy"]!["autoApproveBelow"]!["USD"]!.GetValue<long>());
        Assert.Equal(5000, settings["minimumPayouts"]!["USD"]!.GetValue<long>());
        Assert.Equal(100, settings["minimumPayouts"]!["EUR"]!.GetValue<long>());
        Assert.Equal(30, settings["holdDays"]!.GetValue<int>());
    }

    [Fact]
    public async Task Patch_NullApprovalPolicyOrMap_ResetsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await Patch("""{ "approvalPolicy": { "dualApprovalAtOrAbove": { "USD": 100000 }, "autoApproveBelow": { "USD": 5000 } } }""");

        await Patch("""{ "approvalPolicy": { "autoApproveBelow": null } }""");
        var afterMap = await TestOrg.Json(await _org.Viewer.GetAsync("/api/organization", ct));
        await Patch("""{ "approvalPolicy": null }""");
        var afterPolicy = await TestOrg.Json(await _org.Viewer.GetAsync("/api/organization", ct));

        Assert.Empty(afterMap["approvalPolicy"]!["autoApproveBelow"]!.AsObject());
        Assert.Equal(100000, afterMap["approvalPolicy"]!["dualApprovalAtOrAbove"]!["USD"]!.GetValue<long>());
        Assert.Empty(afterPolicy["approvalPolicy"]!["dualApprovalAtOrAbove"]!.AsObject());
    }

    [Theory]
    [InlineData("""{ "holdDays": 366 }""", "holdDays")]
    [InlineData("""{ "holdDays": -1 }""", "holdDays")]
    [InlineData("""{ "holdDays": null }""", "holdDays")]
    [InlineData("""{ "approvalPolicy": { "dualApprovalAtOrAbove": { "XXY": 100 } } }""", "approvalPolicy.dualApprovalAtOrAbove")]
    [InlineData("""{ "approvalPolicy": { "autoApproveBelow": { "USD": -1 } } }""", "approvalPolicy.autoApproveBelow")]
    [InlineData("""{ "approvalPolicy": { "autoApproveBelow": { "usd": 100 } } }""", "approvalPolicy.autoApproveBelow")]
    [InlineData("""{ "approvalPolicy": { "dualApprovalAtOrAbove": { "USD": 100000000000000 } } }""", "approvalPolicy.dualApprovalAtOrAbove")]
    public async Task Patch_InvalidFinanceControl_Returns400AndChangesNothing(string body, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        await Patch("""{ "holdDays": 7, "approvalPolicy": { "dualApprovalAtOrAbove": { "USD": 100000 } } }""");
        var before = await TestOrg.Json(await _org.Viewer.GetAsync("/api/organization", ct));

        await ProblemAssert.IsValidationProblemAsync(await Patch(body), field);

        var after = await TestOrg.Json(await _org.Viewer.GetAsync("/api/organization", ct));
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }

    private Task<HttpResponseMessage> Patch(string body) =>
        _org.Admin.PatchAsync("/api/organization", TestOrg.RawJson(body), TestContext.Current.CancellationToken);

    [Fact]
    public async Task Patch_RequireVerifiedTaxForm_IsStoredAndNullIsRejected()
    {
        var ct = TestContext.Current.CancellationToken;

        var set = await _org.Admin.PatchAsJsonAsync("/api/organization", new { requireVerifiedTaxForm = true }, ct);
        var nulled = await _org.Admin.PatchAsync("/api/organization", new StringContent("""{ "requireVerifiedTaxForm": null }""", System.Text.Encoding.UTF8, "application/json"), ct);

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.True((await TestOrg.Json(set))["requireVerifiedTaxForm"]!.GetValue<bool>());
        await ProblemAssert.IsValidationProblemAsync(nulled, "requireVerifiedTaxForm");
        var settings = await TestOrg.Json(await _org.Viewer.GetAsync("/api/organization", ct));
        Assert.True(settings["requireVerifiedTaxForm"]!.GetValue<bool>());
        Assert.False(settings["automaticPayments"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Patch_ByAdmin_ReplacesGivenFieldsOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        await _org.Admin.PatchAsJsonAsync("/api/organization", new { minimumPayouts = new Dictionary<string, long> { ["USD"] = 5000, ["JPY"] = 1000 }, approverEmails = new[] { "a@example.com" } }, ct);

        var response = await _org.Admin.PatchAsJsonAsync("/api/organization", new { automaticPayments = true }, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var settings = await TestOrg.Json(await _org.Viewer.GetAsync("/api/organization", ct));
        Assert.True(settings["automaticPayments"]!.GetValue<bool>());
        Assert.Equal(5000, settings["minimumPayouts"]!["USD"]!.GetValue<long>());
        Assert.Equal("a@example.com", settings["approverEmails"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Patch_NullClearsListsAndMinimums_NullSwitchIsRejected()
    {
        var ct = TestContext.Current.CancellationToken;
        await _org.Admin.PatchAsJsonAsync("/api/organization", new { minimumPayouts = new Dictionary<string, long> { ["USD"] = 5000 }, approverEmails = new[] { "a@example.com" }, automaticPayments = true }, ct);

        var cleared = await _org.Admin.PatchAsync("/api/organization", new StringContent("""{ "minimumPayouts": null, "approverEmails": null }""", System.Text.Encoding.UTF8, "application/json"), ct);
        var nulled = await _org.Admin.PatchAsync("/api/organization", new StringContent("""{ "automaticPayments": null }""", System.Text.Encoding.UTF8, "application/json"), ct);

        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        await ProblemAssert.IsValidationProblemAsync(nulled, "automaticPayments");
        var settings = await TestOrg.Json(await _org.Viewer.GetAsync("/api/organization", ct));
        Assert.Empty(settings["minimumPayouts"]!.AsObject());
        Assert.Empty(settings["approverEmails"]!.AsArray());
        Assert.True(settings["automaticPayments"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Patch_ByManager_Returns403()
    {
        var response = await _org.Manager.PatchAsJsonAsync("/api/organization", new { automaticPayments = true }, TestContext.Current.CancellationToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.False((await TestOrg.Json(await _org.Viewer.GetAsync("/api/organization", TestContext.Current.CancellationToken)))["automaticPayments"]!.GetValue<bool>());
    }
}
