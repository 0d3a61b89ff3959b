using Bunit;
using PartnerBase.Console.Access;
using PartnerBase.Console.Api;
using PartnerBase.Console.Pages.Payouts;
using PayoutSource = PartnerBase.Core.Payouts.PayoutSource;
using PayoutStatus = PartnerBase.Core.Payouts.PayoutStatus;
using PartnerBase.Core.Security;

namespace PartnerBase.Console.Tests.Components;

public sealed class PayoutActionsTests : ComponentTest
{
    [Theory]
    [InlineData(PayoutStatus.PendingApproval, new[] { Role.Approver }, new[] { "Approve", "Reject" })]
    [InlineData(PayoutStatus.PendingApproval, new[] { Role.Manager }, new[] { "Edit", "Delete" })]
    [InlineData(PayoutStatus.PendingApproval, new[] { Role.Finance }, new string[0])]
    [InlineData(PayoutStatus.PendingApproval, new[] { Role.Viewer }, new string[0])]
    [InlineData(PayoutStatus.PendingApproval, new[] { Role.Admin }, new[] { "Approve", "Reject", "Edit", "Delete" })]
    [InlineData(PayoutStatus.Approved, new[] { Role.Finance }, new[] { "Mark processing", "Mark paid" })]
    [InlineData(PayoutStatus.Approved, new[] { Role.Approver, Role.Manager }, new string[0])]
    [InlineData(PayoutStatus.Processing, new[] { Role.Finance }, new[] { "Mark paid", "Mark failed" })]
    [InlineData(PayoutStatus.Failed, new[] { Role.Finance }, new[] { "Mark processing" })]
    [InlineData(PayoutStatus.Paid, new[] { Role.Admin }, new string[0])]
    [InlineData(PayoutStatus.Rejected, new[] { Role.Admin }, new string[0])]
    [InlineData(PayoutStatus.PendingApproval, new[] { Role.Partner }, new string[0])]
    public void Render_RolesAndStatus_ShowOnlyTheActionsTheApiAllows(PayoutStatus status, Role[] roles, string[] expected)
    {
        var actions = Render<PayoutActions>(parameters => parameters
            .Add(p => p.Payout, TestPayout(status))
            .Add(p => p.User, new SignedInUser("ana", roles.ToHashSet(), null)));

        var buttons = actions.FindAll("fluent-button").Select(button => button.TextContent.Trim()).ToArray();
        Assert.Equal(expected, buttons);
    }

    [Fact]
    public void Reject_WithoutAReason_AsksForOneAndCallsNothing()
    {
        var actions = Render<PayoutActions>(parameters => parameters
            .Add(p => p.Payout, TestPayout(PayoutStatus.PendingApproval))
            .Add(p => p.User, new SignedInUser("ana", new HashSet<Role> { Role.Approver }, null)));

        actions.FindAll("fluent-button").Single(button => button.TextContent.Trim() == "Reject").Click();
        var dialog = actions.Find("[role=dialog]");
        Assert.Contains("Reject?", dialog.TextContent, StringComparison.Ordinal);
        actions.FindAll("[role=dialog] button").Single(button => button.TextContent == "Confirm").Click();

        Assert.Contains("Give a reason for the rejection.", actions.Find("[role=dialog]").TextContent, StringComparison.Ordinal);
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public void Approve_Confirmed_SendsIfMatchWithTheVersionShown()
    {
        var actions = Render<PayoutActions>(parameters => parameters
            .Add(p => p.Payout, TestPayout(PayoutStatus.PendingApproval) with { Version = 7 })
            .Add(p => p.User, new SignedInUser("ana", new HashSet<Role> { Role.Approver }, null)));

        actions.FindAll("fluent-button").Single(button => button.TextContent.Trim() == "Approve").Click();
        actions.FindAll("[role=dialog] button").Single(button => button.TextContent == "Confirm").Click();

        actions.WaitForAssertion(() => Assert.Single(Api.Requests));
        var request = Api.Requests[0];
        Assert.Equal("http://api.test/api/payouts/po_1/approve", request.RequestUri!.ToString());
        Assert.Equal("\"7\"", Assert.Single(request.Headers.IfMatch).Tag);
        // The API's problem detail is shown in the dialog.
        actions.WaitForAssertion(() => Assert.Contains("test double", actions.Find("[role=dialog]").TextContent, StringComparison.Ordinal));
    }

    private static Payout TestPayout(PayoutStatus status) => new(
        "po_1", "acme", 125_000, "USD", status, "2026-11", null, null, PayoutSource.Manual, "maria",
        new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc), 1,
        null, null, null, null, null, null, null, null, null, null, null, [], new PartnerRef("acme", "Acme", "a@acme.test"));
}
