using Bunit;
using PartnerBase.Console.Api;
using PartnerBase.Console.Pages.Reconciliation;
using PartnerBase.Core.Reconciliation;
using ReconciliationIssue = PartnerBase.Console.Api.ReconciliationIssue;

namespace PartnerBase.Console.Tests.Components;

public sealed class ReconciliationIssuesTests : ComponentTest
{
    [Fact]
    public void Render_CleanRun_SaysNoIssues()
    {
        var issues = Render<ReconciliationIssues>(parameters => parameters.Add(p => p.Run, Run()));

        Assert.Equal("No issues", issues.Find("p").TextContent);
        Assert.Empty(issues.FindAll("table"));
    }

    [Fact]
    public void Render_Issues_KindInWordsPayoutLinkedAmountsAsMoney()
    {
        var run = Run(
            new ReconciliationIssue(IssueKind.MissingTransfer, "po_missing", "sim_tr_1", null, null),
            new ReconciliationIssue(IssueKind.AmountMismatch, "po_amount", "sim_tr_2", "25000", "24000"),
            new ReconciliationIssue(IssueKind.UnknownTransfer, null, "sim_tr_3", null, null));

        var issues = Render<ReconciliationIssues>(parameters => parameters
            .Add(p => p.Run, run)
            .Add(p => p.Currencies, new Dictionary<string, string> { ["po_amount"] = "USD" }));

        var rows = issues.FindAll("tbody tr");
        Assert.Equal(3, rows.Count);
        Assert.Equal("Missing transfer", rows[0].QuerySelector("td[data-label=Kind] strong")!.TextContent);
        Assert.Equal("payouts/po_missing", rows[0].QuerySelector("td[data-label=Payout] a")!.GetAttribute("href"));
        Assert.Equal("sim_tr_1", rows[0].QuerySelector("td[data-label=Transfer]")!.TextContent);
        Assert.Equal("Amount mismatch", rows[1].QuerySelector("td[data-label=Kind] strong")!.TextContent);
        Assert.Equal("$250.00", rows[1].QuerySelector("td[data-label=Expected]")!.TextContent);
        Assert.Equal("$240.00", rows[1].QuerySelector("td[data-label=Actual]")!.TextContent);
        Assert.Equal("Unknown transfer", rows[2].QuerySelector("td[data-label=Kind] strong")!.TextContent);
        Assert.Null(rows[2].QuerySelector("td[data-label=Payout] a"));
        Assert.Equal(["Kind", "Payout", "Transfer", "Expected", "Actual"], issues.FindAll("th").Select(th => th.TextContent));
    }

    private static ReconciliationRun Run(params ReconciliationIssue[] issues) =>
        new("rc_1", new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), DateTime.UtcNow, 3, issues);
}
