using Bunit;
using PartnerBase.Console.Api;
using PartnerBase.Console.Pages.Statements;
using PartnerBase.Core.Payouts;

namespace PartnerBase.Console.Tests.Components;

public sealed class StatementSummaryTests : ComponentTest
{
    private static readonly DateTime Closed = new(2026, 10, 10, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Render_Statement_ShowsTotalsPayoutsLinesAndHeldPerCurrency()
    {
        var usd = new StatementCurrency(
            "USD",
            [
                new StatementPayout("po_run", PayoutStatus.Paid, 3_000, PayoutSource.CommissionRun, Closed.AddDays(30), "sim_tr_9",
                [
                    new StatementLine("a0", "deal-0", Closed, -30_000, 1_000, -3_000),
                    new StatementLine("a1", "deal-1", Closed, 60_000, 1_000, 6_000),
                ]),
                new StatementPayout("po_manual", PayoutStatus.Approved, 500, PayoutSource.Manual, null, null, []),
            ],
            [new StatementHeld("a3", "deal-3", Closed, 1_000, Closed.AddDays(30))],
            250,
            new StatementTotals(3_500, 3_000, 500, 0));
        var jpy = new StatementCurrency("JPY", [], [], 1_200, new StatementTotals(0, 0, 0, 0));
        var statement = new Statement("st_1", "org", "2026-10", Closed.AddDays(25), new StatementPartner("acme", "Acme", "acme@example.com"), [usd, jpy]);

        var summary = Render<StatementSummary>(parameters => parameters.Add(p => p.Statement, statement));

        Assert.Equal("Statement 2026-10 · Acme", summary.Find("h2").TextContent);
        Assert.Equal(["In USD", "In JPY"], summary.FindAll("h3").Select(h => h.TextContent));
        var totals = summary.FindAll("dl.totals")[0].QuerySelectorAll(".total").Select(t => (t.QuerySelector("dt")!.TextContent, t.QuerySelector("dd")!.TextContent));
        Assert.Equal([("Earned", "$35.00"), ("Paid", "$30.00"), ("Pending", "$5.00"), ("Failed", "$0.00"), ("Carried forward", "$2.50")], totals);
        Assert.Contains(("Carried forward", "¥1,200"), summary.FindAll("dl.totals")[1].QuerySelectorAll(".total").Select(t => (t.QuerySelector("dt")!.TextContent, t.QuerySelector("dd")!.TextContent)));

        var payouts = Table(summary, "Payouts in USD").QuerySelectorAll("tbody tr");
        Assert.Equal(["po_run", "po_manual"], payouts.Select(r => r.QuerySelector("td[data-label=Payout] a")!.TextContent));
        Assert.Equal("Commission run", payouts[0].QuerySelector("td[data-label=Source]")!.TextContent);
        Assert.Equal("sim_tr_9", payouts[0].QuerySelector("td[data-label='Payment reference']")!.TextContent);

        var lines = Table(summary, "Commission lines in USD").QuerySelectorAll("tbody tr");
        Assert.Equal(2, lines.Length);
        Assert.Equal(("deal-0", "-$300.00", "10 %", "-$30.00"), (
            lines[0].QuerySelector("td[data-label=Deal]")!.TextContent,
            lines[0].QuerySelector("td[data-label=Attributed]")!.TextContent,
            lines[0].QuerySelector("td[data-label=Rate]")!.TextContent,
            lines[0].QuerySelector("td[data-label=Commission]")!.TextContent));

        var held = Table(summary, "Held commission in USD").QuerySelectorAll("tbody tr");
        Assert.Equal("deal-3", Assert.Single(held).QuerySelector("td[data-label=Deal]")!.TextContent);
        Assert.Contains("No payouts in this period.", summary.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NothingToReport_SaysSo()
    {
        var statement = new Statement("st_1", "org", "2026-10", Closed, new StatementPartner("acme", "Acme", null), []);

        var summary = Render<StatementSummary>(parameters => parameters.Add(p => p.Statement, statement));

        Assert.Contains("Nothing to report in this period.", summary.Markup, StringComparison.Ordinal);
    }

    private static AngleSharp.Dom.IElement Table(IRenderedComponent<StatementSummary> summary, string caption) =>
        summary.FindAll("table").Single(table => table.QuerySelector("caption")?.TextContent == caption);
}
