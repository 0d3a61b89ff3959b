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
    }

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
