using System.Text;

namespace PartnerBase.Console.Tests;

/// <summary>Statements (CONTRACT §9, §10): finance generates a period's, reads and downloads a partner's; a partner downloads only its own.</summary>
[Collection(BrowserCollection.Name)]
public sealed class StatementsTests(ConsoleApp app)
{
    [Fact]
    public async Task Generate_AsFinanceAfterACommissionRun_ListsViewsAndDownloadsThePartnersStatement()
    {
        var org = new TestOrg(app);
        var partner = await org.CreatePartnerAsync("p-statement", "Statement Partner Co");
        var payoutId = (await org.SettleLastMonthAsync(partner)).Single();
        var period = TestOrg.LastMonth;
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "finance-1", "finance");

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Statements", Exact = true }).ClickAsync();
        await page.GetByLabel("Period", new() { Exact = true }).FillAsync(period);
        await page.GetByRole(AriaRole.Button, new() { Name = "Generate", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"1 statement generated for {period}");

        await Controls.ChooseAsync(page.GetByLabel("Partner", new() { Exact = true }), partner, "Statement Partner Co");
        var row = Controls.Row(page, period);
        await Expect(row).ToHaveCountAsync(1);

        var download = await page.RunAndWaitForDownloadAsync(() => row.GetByRole(AriaRole.Button, new() { Name = "Download PDF" }).ClickAsync());

        Assert.Equal($"statement-{partner}-{period}.pdf", download.SuggestedFilename);
        await AssertPdfAsync(download);

        await row.GetByRole(AriaRole.Link, new() { Name = "View" }).ClickAsync();

        var statement = page.GetByRole(AriaRole.Region, new() { Name = $"Statement {period} · Statement Partner Co" });
        await Expect(statement).ToBeVisibleAsync();
        var payouts = statement.GetByRole(AriaRole.Table, new() { Name = "Payouts in USD" });
        await Expect(payouts.GetByRole(AriaRole.Link, new() { Name = payoutId, Exact = true })).ToBeVisibleAsync();
        await Expect(payouts).ToContainTextAsync("$250.00");
        var lines = statement.GetByRole(AriaRole.Table, new() { Name = "Commission lines in USD" });
        await Expect(lines.GetByRole(AriaRole.Row).Filter(new() { HasText = $"deal-{partner}" })).ToContainTextAsync("$2,500.00");
        Assert.Contains($"period={period}", new Uri(page.Url).Query, StringComparison.Ordinal);

        await page.ReloadAsync();

        await Expect(page.GetByRole(AriaRole.Region, new() { Name = $"Statement {period} · Statement Partner Co" })).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await Expect(page.GetByLabel("Partner", new() { Exact = true })).ToHaveValueAsync(partner);
    }

    [Fact]
    public async Task Portal_Partner_ListsAndDownloadsOnlyItsOwnStatement()
    {
        var org = new TestOrg(app);
        var own = await org.CreatePartnerAsync("p-own", "Own Partner Co");
        var other = await org.CreatePartnerAsync("p-other", "Other Partner Co");
        await org.SettleLastMonthAsync(own, other);
        Assert.Equal([other, own], (await org.GenerateStatementsAsync(TestOrg.LastMonth)).Order(StringComparer.Ordinal));
        await using var browser = await app.OpenAsync();
        var page = browser.Page;

        await app.SignInAsync(page, org.Id, "partner-user-own", "partner", own);

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Statements", Exact = true })).ToBeVisibleAsync();
        var statements = page.GetByRole(AriaRole.Table, new() { Name = "Your statements" });
        var rows = statements.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Cell) });
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows).ToContainTextAsync(TestOrg.LastMonth);
        await Expect(statements.GetByRole(AriaRole.Link, new() { Name = "View" })).ToHaveCountAsync(0);

        var download = await page.RunAndWaitForDownloadAsync(() => rows.GetByRole(AriaRole.Button, new() { Name = "Download PDF" }).ClickAsync());

        Assert.Equal($"statement-{own}-{TestOrg.LastMonth}.pdf", download.SuggestedFilename);
        await AssertPdfAsync(download);
        await Expect(page.GetByText(other)).ToHaveCountAsync(0);
        await Expect(page.GetByText("Other Partner Co")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Generate_PeriodNotStarted_SaysSoBesideTheFieldAndSendsNothing()
    {
        var org = new TestOrg(app);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "manager-1", "manager");
        await page.GotoAsync("/statements");
        var next = DateTime.UtcNow.AddMonths(1);
        var period = $"{next.Year:D4}-{next.Month:D2}";
        var posts = 0;
        page.Request += (_, request) => posts += request.Method == "POST" && request.Url.EndsWith("/api/statements", StringComparison.Ordinal) ? 1 : 0;

        await page.GetByLabel("Period", new() { Exact = true }).FillAsync(period);
        await page.GetByRole(AriaRole.Button, new() { Name = "Generate", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = $"{period} has not started yet." })).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Period", new() { Exact = true })).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Equal(0, posts);
    }

    [Fact]
    public async Task Generate_AsViewer_IsNotOffered()
    {
        var org = new TestOrg(app);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "viewer-1", "viewer");

        await page.GotoAsync("/statements");

        await Expect(page.GetByLabel("Partner", new() { Exact = true })).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Generate", Exact = true })).ToHaveCountAsync(0);
    }

    /// <summary>An organization with last month's statement of one partner (a $250.00 payout, approved); the partner's id.</summary>
    internal static async Task<(TestOrg Org, string PartnerId)> StatementOfLastMonthAsync(ConsoleApp app)
    {
        var org = new TestOrg(app);
        var partner = await org.CreatePartnerAsync("p-statement", "Statement Partner Co");
        await org.SettleLastMonthAsync(partner);
        await org.GenerateStatementsAsync(TestOrg.LastMonth);
        return (org, partner);
    }

    /// <summary>Opens the page of the partner's statement of last month, as shown by "View", and waits for it.</summary>
    internal static async Task ViewStatementAsync(IPage page, string partnerId)
    {
        await page.GotoAsync($"/statements?partnerId={partnerId}&period={TestOrg.LastMonth}");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Payouts in USD" })).ToBeVisibleAsync(new() { Timeout = 60_000 });
    }

    private static async Task AssertPdfAsync(IDownload download)
    {
        var bytes = await File.ReadAllBytesAsync(await download.PathAsync(), TestContext.Current.CancellationToken);
        Assert.True(bytes.Length > 5, $"the download has {bytes.Length} bytes");
        Assert.Equal("%PDF-", Encoding.ASCII.GetString(bytes, 0, 5));
    }
}
