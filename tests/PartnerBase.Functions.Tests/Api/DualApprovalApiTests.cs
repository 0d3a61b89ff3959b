using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace PartnerBase.Functions.Tests.Api;

/// <summary>CONTRACT §8 dual approval: payouts at or above a currency's threshold need two different approvers.</summary>
public sealed class DualApprovalApiTests(ApiFactory factory)
{
    private const long Threshold = 100_000;

    private readonly TestOrg _org = new(factory);

    private HttpClient SecondApprover => _org.Client("approver-2", "approver");

    [Fact]
    public async Task Approve_BelowThreshold_ApprovesWithOneApprovalListed()
    {
        await SetDualThresholdAsync(Threshold);
        var payoutId = await CreatePayoutAsync(Threshold - 1);

        var approved = await _org.ActAsync(_org.Approver, payoutId, "approve");

        Assert.Equal("approved", approved["status"]!.GetValue<string>());
        Assert.Equal(["approver-1"], Approvers(approved));
        Assert.Equal("approver-1", approved["approvedBy"]!.GetValue<string>());
    }

    [Fact]
    public async Task Approve_AmountExactlyAtThreshold_NeedsTwoApprovers()
    {
        await SetDualThresholdAsync(Threshold);
        var payoutId = await CreatePayoutAsync(Threshold);

        var first = await _org.ActAsync(_org.Approver, payoutId, "approve");
        var second = await _org.ActAsync(SecondApprover, payoutId, "approve");

        Assert.Equal(("pending_approval", 2L), (first["status"]!.GetValue<string>(), first["version"]!.GetValue<long>()));
        var approval = first["approvals"]!.AsArray().Single()!;
        Assert.Equal("approver-1", approval["by"]!.GetValue<string>());
        Assert.True(DateTimeOffset.UtcNow - approval["at"]!.GetValue<DateTimeOffset>() < TimeSpan.FromMinutes(5));
        Assert.Null(first["approvedBy"]);
        Assert.Equal(("approved", 3L), (second["status"]!.GetValue<string>(), second["version"]!.GetValue<long>()));
        Assert.Equal(["approver-1", "approver-2"], Approvers(second));
        Assert.Equal("approver-2", second["approvedBy"]!.GetValue<string>());
        Assert.Equal(["payout.created", "payout.approval_recorded", "payout.approved"], await AuditTypesAsync(payoutId));
        var recorded = (await _org.AuditAsync(payoutId)).Single(e => e!["type"]!.GetValue<string>() == "payout.approval_recorded")!;
        Assert.Equal("approver-1", recorded["actor"]!["id"]!.GetValue<string>());
        Assert.Equal("pending_approval", recorded["data"]!["previousStatus"]!.GetValue<string>());
    }

    [Fact]
    public async Task Approve_SameUserTwice_Returns409DuplicateApprovalAndChangesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await SetDualThresholdAsync(Threshold);
        var payoutId = await CreatePayoutAsync(Threshold * 2);
        await _org.ActAsync(_org.Approver, payoutId, "approve");

        var again = await _org.Approver.PostAsync($"/api/payouts/{payoutId}/approve", null, ct);

        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, "duplicate_approval");
        var payout = await _org.GetPayoutAsync(payoutId);
        Assert.Equal(("pending_approval", 2L), (payout["status"]!.GetValue<string>(), payout["version"]!.GetValue<long>()));
        Assert.Equal(2, (await _org.AuditAsync(payoutId)).Count);
    }

    [Fact]
    public async Task Approve_ByCreatorOrEditor_Returns403SeparationOfDuties()
    {
        var ct = TestContext.Current.CancellationToken;
        await SetDualThresholdAsync(Threshold);
        var creator = _org.Client("maker-1", "manager", "approver");
        var editor = _org.Client("editor-1", "manager", "approver");
        var payoutId = (await _org.CreatePayoutAsync(await _org.CreatePartnerAsync(), Threshold, client: creator))["id"]!.GetValue<string>();
        await _org.ActAsync(_org.Approver, payoutId, "approve");
        await TestOrg.ExpectAsync(await editor.PatchAsJsonAsync($"/api/payouts/{payoutId}", new { notes = "checked" }, ct), HttpStatusCode.OK);

        var byCreator = await creator.PostAsync($"/api/payouts/{payoutId}/approve", null, ct);
        var byEditor = await editor.PostAsync($"/api/payouts/{payoutId}/approve", null, ct);

        await ProblemAssert.IsProblemAsync(byCreator, HttpStatusCode.Forbidden, "separation_of_duties");
        await ProblemAssert.IsProblemAsync(byEditor, HttpStatusCode.Forbidden, "separation_of_duties");
        Assert.Equal("pending_approval", (await _org.GetPayoutAsync(payoutId))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Patch_AfterFirstApproval_ClearsApprovalsAndTwoFreshApprovalsAreNeeded()
    {
        var ct = TestContext.Current.CancellationToken;
        var payoutId = await PayoutWithFirstApprovalAsync();

        var edited = await TestOrg.Json(await _org.Manager.PatchAsJsonAsync($"/api/payouts/{payoutId}", new { amount = Threshold + 500 }, ct));
        var firstAgain = await _org.ActAsync(_org.Approver, payoutId, "approve");
        var second = await _org.ActAsync(SecondApprover, payoutId, "approve");

        Assert.Empty(edited["approvals"]!.AsArray());
        Assert.Equal("pending_approval", firstAgain["status"]!.GetValue<string>());
        Assert.Equal(["approver-1"], Approvers(firstAgain));
        Assert.Equal("approved", second["status"]!.GetValue<string>());
        Assert.Equal(Threshold + 500, second["amount"]!.GetValue<long>());
    }

    [Fact]
    public async Task Reject_AfterFirstApproval_Rejects()
    {
        var payoutId = await PayoutWithFirstApprovalAsync();

        var rejected = await _org.ActAsync(SecondApprover, payoutId, "reject", new { reason = "duplicate invoice" });

        Assert.Equal("rejected", rejected["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Approve_SecondApprovalsConcurrentlyByTwoUsers_ExactlyOneApprovedEvent()
    {
        var ct = TestContext.Current.CancellationToken;
        var payoutId = await PayoutWithFirstApprovalAsync();
        HttpClient[] approvers = [SecondApprover, _org.Client("approver-3", "approver"), _org.Client("approver-4", "approver")];

        var responses = await Task.WhenAll(approvers.Select(client => client.PostAsync($"/api/payouts/{payoutId}/approve", null, ct)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        Assert.Single(await AuditTypesAsync(payoutId), type => type == "payout.approved");
        var payout = await _org.GetPayoutAsync(payoutId);
        Assert.Equal(("approved", 3L), (payout["status"]!.GetValue<string>(), payout["version"]!.GetValue<long>()));
        Assert.Equal(2, payout["approvals"]!.AsArray().Count);
    }

    [Fact]
    public async Task Approve_FirstApprovalsConcurrentlyByTwoUsers_BothCountAndThePayoutIsApproved()
    {
        var ct = TestContext.Current.CancellationToken;
        await SetDualThresholdAsync(Threshold);
        var payoutId = await CreatePayoutAsync(Threshold);

        var responses = await Task.WhenAll(new[] { _org.Approver, SecondApprover }.Select(client => client.PostAsync($"/api/payouts/{payoutId}/approve", null, ct)));

        // Without If-Match each approval is decided on the payout as it is when saved: the later one sees the first.
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(["payout.created", "payout.approval_recorded", "payout.approved"], await AuditTypesAsync(payoutId));
    }

    [Fact]
    public async Task Approve_PolicyRaisedBetweenApprovals_ThePolicyAtTheSecondApprovalDecides()
    {
        var payoutId = await CreatePayoutAsync(Threshold);
        await SetDualThresholdAsync(Threshold);
        var recorded = await _org.ActAsync(_org.Approver, payoutId, "approve");

        // Lowered below the amount's threshold (raised above the amount): one approval now suffices, even the one already given.
        await SetDualThresholdAsync(Threshold + 1);
        var approved = await _org.ActAsync(_org.Approver, payoutId, "approve");

        Assert.Equal("pending_approval", recorded["status"]!.GetValue<string>());
        Assert.Equal("approved", approved["status"]!.GetValue<string>());
        Assert.Equal(["approver-1"], Approvers(approved));
    }

    [Fact]
    public async Task Approve_PolicySetAfterCreation_TheFirstApprovalIsOnlyRecorded()
    {
        var payoutId = await CreatePayoutAsync(Threshold);

        await SetDualThresholdAsync(Threshold);
        var first = await _org.ActAsync(_org.Approver, payoutId, "approve");
        await SetDualThresholdAsync(null);
        var second = await _org.ActAsync(SecondApprover, payoutId, "approve");

        Assert.Equal("pending_approval", first["status"]!.GetValue<string>());
        Assert.Equal("approved", second["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Approve_ThresholdInAnotherCurrency_DoesNotApply()
    {
        await SetDualThresholdAsync(1, currency: "EUR");
        var payoutId = await CreatePayoutAsync(Threshold * 10);

        var approved = await _org.ActAsync(_org.Approver, payoutId, "approve");

        Assert.Equal("approved", approved["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task BulkApprove_MixedAmounts_ListsApprovedApprovalRecordedAndSkipped()
    {
        var ct = TestContext.Current.CancellationToken;
        await SetDualThresholdAsync(Threshold);
        var small = await CreatePayoutAsync(Threshold - 1);
        var large = await CreatePayoutAsync(Threshold);
        var rejected = await CreatePayoutAsync(Threshold);
        await _org.ActAsync(_org.Approver, rejected, "reject");

        var first = await TestOrg.Json(await _org.Approver.PostAsJsonAsync("/api/payouts/bulk-approve", new { payoutIds = new[] { small, large, rejected } }, ct));
        var again = await TestOrg.Json(await _org.Approver.PostAsJsonAsync("/api/payouts/bulk-approve", new { payoutIds = new[] { large } }, ct));
        var second = await TestOrg.Json(await SecondApprover.PostAsJsonAsync("/api/payouts/bulk-approve", new { payoutIds = new[] { large } }, ct));

        Assert.Equal([small], Ids(first["approved"]));
        Assert.Equal([large], Ids(first["approvalRecorded"]));
        Assert.Equal(rejected, first["skipped"]!.AsArray().Single()!["id"]!.GetValue<string>());
        Assert.Equal("invalid_transition", first["skipped"]![0]!["code"]!.GetValue<string>());
        Assert.Equal("duplicate_approval", again["skipped"]!.AsArray().Single()!["code"]!.GetValue<string>());
        Assert.Empty(again["approvalRecorded"]!.AsArray());
        Assert.Equal([large], Ids(second["approved"]));
        Assert.Empty(second["approvalRecorded"]!.AsArray());
    }

    [Fact]
    public async Task Get_NeverApproved_HasEmptyApprovals()
    {
        var payoutId = await CreatePayoutAsync(Threshold);

        var payout = await _org.GetPayoutAsync(payoutId);

        Assert.Empty(payout["approvals"]!.AsArray());
    }

    private async Task SetDualThresholdAsync(long? amount, string currency = "USD")
    {
        var body = $$"""{ "approvalPolicy": { "dualApprovalAtOrAbove": { "{{currency}}": {{(amount is null ? "null" : amount.ToString())}} } } }""";
        await TestOrg.ExpectAsync(await _org.Admin.PatchAsync("/api/organization", TestOrg.RawJson(body), TestContext.Current.CancellationToken), HttpStatusCode.OK);
    }

    /// <summary>A payout exactly at the dual-approval threshold, with approver-1's approval recorded.</summary>
    private async Task<string> PayoutWithFirstApprovalAsync()
    {
        await SetDualThresholdAsync(Threshold);
        var payoutId = await CreatePayoutAsync(Threshold);
        Assert.Equal("pending_approval", (await _org.ActAsync(_org.Approver, payoutId, "approve"))["status"]!.GetValue<string>());
        return payoutId;
    }

    private async Task<string> CreatePayoutAsync(long amount) =>
        (await _org.CreatePayoutAsync(await _org.CreatePartnerAsync(), amount))["id"]!.GetValue<string>();

    private async Task<List<string>> AuditTypesAsync(string payoutId) =>
        (await _org.AuditAsync(payoutId)).Select(e => e!["type"]!.GetValue<string>()).Reverse().ToList();

    private static List<string> Approvers(JsonObject payout) => payout["approvals"]!.AsArray().Select(a => a!["by"]!.GetValue<string>()).ToList();

    private static List<string> Ids(JsonNode? array) => array!.AsArray().Select(id => id!.GetValue<string>()).ToList();
}
