using System.Net;
using System.Net.Http.Json;

namespace PartnerBase.Functions.Tests.Api;

/// <summary>CONTRACT §8 payable gate: a partner without a verified tax form, where one is required, is not paid.</summary>
public sealed class PayableGateApiTests(ApiFactory factory)
{
    private readonly TestOrg _org = new(factory);

    [Theory]
    [InlineData("mark-processing")]
    [InlineData("mark-paid")]
    public async Task PaymentStep_WhileTaxFormNotVerified_Returns409PayeeNotPayableAndChangesNothing(string action)
    {
        var ct = TestContext.Current.CancellationToken;
        var (partnerId, payoutId) = await ApprovedPayoutOfUnverifiedPartnerAsync("submitted");
        var before = await _org.GetPayoutAsync(payoutId);

        var response = await _org.Finance.PostAsJsonAsync($"/api/payouts/{payoutId}/{action}", new { }, ct);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "payee_not_payable");
        Assert.Contains(partnerId, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var after = await _org.GetPayoutAsync(payoutId);
        Assert.Equal("approved", after["status"]!.GetValue<string>());
        Assert.Equal(before["version"]!.GetValue<long>(), after["version"]!.GetValue<long>());
        Assert.Equal(2, (await _org.AuditAsync(payoutId)).Count);
    }

    [Fact]
    public async Task Approve_WhileTaxFormNotVerified_IsAllowed()
    {
        var ct = TestContext.Current.CancellationToken;
        await RequireVerifiedTaxFormAsync();
        var partnerId = await _org.CreatePartnerAsync();
        var payoutId = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();

        var approved = await _org.ActAsync(_org.Approver, payoutId, "approve");
        var bulk = await TestOrg.Json(await _org.Approver.PostAsJsonAsync("/api/payouts/bulk-approve", new { payoutIds = new[] { (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>() } }, ct));

        Assert.Equal("approved", approved["status"]!.GetValue<string>());
        Assert.Single(bulk["approved"]!.AsArray());
    }

    [Fact]
    public async Task MarkProcessing_AfterTheTaxFormIsVerified_ReleasesThePayout()
    {
        var ct = TestContext.Current.CancellationToken;
        var (partnerId, payoutId) = await ApprovedPayoutOfUnverifiedPartnerAsync("missing");
        await _org.ActAsync(_org.Finance, payoutId, "mark-processing", expected: HttpStatusCode.Conflict);

        await TestOrg.ExpectAsync(await _org.Manager.PatchAsJsonAsync($"/api/partners/{partnerId}", new { taxFormStatus = "verified" }, ct), HttpStatusCode.OK);
        var processing = await _org.ActAsync(_org.Finance, payoutId, "mark-processing");
        var paid = await _org.ActAsync(_org.Finance, payoutId, "mark-paid", new { paymentReference = "wire-1" });

        Assert.Equal("processing", processing["status"]!.GetValue<string>());
        Assert.Equal("paid", paid["status"]!.GetValue<string>());
        Assert.Equal("wire-1", paid["paymentReference"]!.GetValue<string>());
    }

    [Fact]
    public async Task PaymentStep_WhenTheOrganizationDoesNotRequireATaxForm_IsNotGated()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var payoutId = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, payoutId, "approve");

        var paid = await _org.ActAsync(_org.Finance, payoutId, "mark-paid");

        Assert.Equal("paid", paid["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task PaymentStep_NotAllowedByTheStateMachine_IsStillInvalidTransition()
    {
        var ct = TestContext.Current.CancellationToken;
        await RequireVerifiedTaxFormAsync();
        var payoutId = (await _org.CreatePayoutAsync(await _org.CreatePartnerAsync()))["id"]!.GetValue<string>();

        var response = await _org.Finance.PostAsJsonAsync($"/api/payouts/{payoutId}/mark-processing", new { }, ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "invalid_transition");
    }

    private async Task<(string PartnerId, string PayoutId)> ApprovedPayoutOfUnverifiedPartnerAsync(string taxFormStatus)
    {
        var ct = TestContext.Current.CancellationToken;
        await RequireVerifiedTaxFormAsync();
        var partnerId = await _org.CreatePartnerAsync();
        await TestOrg.ExpectAsync(await _org.Manager.PatchAsJsonAsync($"/api/partners/{partnerId}", new { taxFormStatus }, ct), HttpStatusCode.OK);
        var payoutId = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, payoutId, "approve");
        return (partnerId, payoutId);
    }

    private async Task RequireVerifiedTaxFormAsync() =>
        await TestOrg.ExpectAsync(
            await _org.Admin.PatchAsJsonAsync("/api/organization", new { requireVerifiedTaxForm = true }, TestContext.Current.CancellationToken),
            HttpStatusCode.OK);
}
