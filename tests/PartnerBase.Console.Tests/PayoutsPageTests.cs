using System.Text.RegularExpressions;

namespace PartnerBase.Console.Tests;

/// <summary>The Payouts page (CONTRACT §9): summary cards, banner, filters in the query string, CSV export.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class PayoutsPageTests(ConsoleApp app)
{
    [Theory]
    [InlineData("Pending approval", "$22,000.00", "2 payouts")]
    [InlineData("Approved", "$5,630.00", "1 payout")]
    [InlineData("Paid", "$21,370.00", "2 payouts")]
    [InlineData("Total", "$49,000.00", "5 payouts")]
    public async Task Cards_DemoOrganization_ShowAmountAndCountPerStatus(string title, string amount, string count)
    {
        await using var browser = await app.OpenAsync();
        var page = browser.Page;

        // The demo organization is read-only for the tests: a viewer changes nothing.
        await app.SignInAsync(page, "demo", "viewer-cards", "viewer");

        var card = Card(page, title);
        await Expect(card).ToContainTextAsync(amount);
        await Expect(card).ToContainTextAsync(new Regex($@"(^|\D){Regex.Escape(count)}\b"));
    }

    [Fact]
    public async Task Banner_DemoOrganizationAsApprover_SaysHowManyAwaitApproval()
    {
        await using var browser = await app.OpenAsync();
        var page = browser.Page;

        await app.SignInAsync(page, "demo", "approver-banner", "approver");

        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "2 payouts awaiting approval" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task StatusFilter_PendingApproval_ShowsOnlyPendingRowsAndSurvivesReload()
    {
        var org = new TestOrg(app);
        var (pending, approved, rejected) = await ThreeStatusesAsync(org);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "viewer-1", "viewer");
        await Expect(Controls.Row(page, approved)).ToHaveCountAsync(1);

        await Controls.ChooseAsync(page.GetByLabel("Status", new() { Exact = true }), "pending_approval", "Pending approval");

        await Expect(Controls.Row(page, approved)).ToHaveCountAsync(0);
        await Expect(Controls.Row(page, rejected)).ToHaveCountAsync(0);
        await Expect(Controls.Row(page, pending)).ToHaveCountAsync(1);
        await Expect(Controls.DataRows(page)).ToHaveCountAsync(1);
        Assert.Contains("pending_approval", new Uri(page.Url).Query, StringComparison.Ordinal);

        await page.ReloadAsync();

        await Expect(Controls.Row(page, pending)).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await Expect(Controls.Row(page, approved)).ToHaveCountAsync(0);
        await Expect(Controls.DataRows(page)).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task PartnerFilter_FromTheAddress_IsTheSelectsChoice()
    {
        var org = new TestOrg(app);
        var (_, approved, _) = await ThreeStatusesAsync(org);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "viewer-1", "viewer");

        // A shared link: the partners arrive after the select first showed the address's partner.
        await page.GotoAsync("/payouts?partnerId=p-approved");

        await Expect(Controls.DataRows(page)).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await Expect(Controls.Row(page, approved)).ToHaveCountAsync(1);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await Expect(page.GetByLabel("Partner", new() { Exact = true })).ToHaveValueAsync("p-approved");
    }

    [Fact]
    public async Task ExportCsv_Filtered_DownloadsAFileWithTheFilteredRows()
    {
        var org = new TestOrg(app);
        var (pending, approved, _) = await ThreeStatusesAsync(org);
        var secondPending = await org.CreatePartnerAsync("p-pending-2", "Second Pending Partner");
        await org.CreatePayoutAsync(secondPending, 43_210);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "viewer-1", "viewer");
        await Expect(Controls.Row(page, approved)).ToHaveCountAsync(1);
        await Controls.ChooseAsync(page.GetByLabel("Status", new() { Exact = true }), "pending_approval", "Pending approval");
        await Expect(Controls.DataRows(page)).ToHaveCountAsync(2);

        var download = await page.RunAndWaitForDownloadAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Export CSV", Exact = true })
                .Or(page.GetByRole(AriaRole.Link, new() { Name = "Export CSV", Exact = true })).First.ClickAsync());

        Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.OrdinalIgnoreCase);
        var path = await download.PathAsync();
        var records = Csv.Parse(await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        var header = records[0];
        var rows = records.Skip(1).Where(r => r.Length > 1).ToList();
        var id = Array.IndexOf(header, "id");
        var partnerName = Array.IndexOf(header, "partner_name");
        var status = Array.IndexOf(header, "status");
        Assert.True(id >= 0 && partnerName >= 0 && status >= 0, "CSV header: " + string.Join(",", header));
        var expected = await org.ListPayoutsAsync("status=pending_approval");
        Assert.Equal(expected.Select(p => p["id"]!.GetValue<string>()).Order(StringComparer.Ordinal), rows.Select(r => r[id]).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal("pending_approval", r[status]));
        Assert.Equal(new[] { pending, "Second Pending Partner" }.Order(StringComparer.Ordinal), rows.Select(r => r[partnerName]).Order(StringComparer.Ordinal));
        Assert.Equal(await Controls.DataRows(page).CountAsync(), rows.Count);
    }

    [Fact]
    public async Task Screenshot_DemoOrganizationAsApprover_IsSaved()
    {
        // docs/console-payouts.png is made by this test with CONSOLE_SCREENSHOT set to it (README); a plain run keeps
        // the picture in its own output folder and leaves the repository as it was.
        var file = Environment.GetEnvironmentVariable("CONSOLE_SCREENSHOT") is { Length: > 0 } target
            ? Path.GetFullPath(target)
            : Path.Combine(AppContext.BaseDirectory, "console-payouts.png");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await using var browser = await app.OpenAsync(1280, 800);
        var page = browser.Page;
        await app.SignInAsync(page, "demo", "approver-screenshot", "approver");
        await Expect(Card(page, "Pending approval")).ToContainTextAsync("$22,000.00");
        await Expect(Controls.DataRows(page)).ToHaveCountAsync(5);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        var png = await page.ScreenshotAsync(new() { Path = file });

        Assert.True(png.Length > 10_000, $"The screenshot has only {png.Length} bytes");
        Assert.Equal(png, await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken));
    }

    /// <summary>
    /// A summary card: the innermost element holding both the card's heading and a count (<c>N payout(s)</c>), which
    /// must not hold another card's heading.
    /// </summary>
    internal static ILocator Card(IPage page, string title)
    {
        var heading = page.GetByRole(AriaRole.Heading, new() { Name = title, Exact = true });
        return page.Locator("*").Filter(new() { Has = heading, HasTextRegex = CountText() }).Last;
    }

    /// <summary>Partners "Pending Partner Co", "Approved Partner Co", "Rejected Partner Co", each with one payout in that status.</summary>
    internal static async Task<(string Pending, string Approved, string Rejected)> ThreeStatusesAsync(TestOrg org)
    {
        const string Pending = "Pending Partner Co", Approved = "Approved Partner Co", Rejected = "Rejected Partner Co";
        var pending = await org.CreatePayoutAsync(await org.CreatePartnerAsync("p-pending", Pending), 12_345);
        var approved = await org.CreatePayoutAsync(await org.CreatePartnerAsync("p-approved", Approved), 23_456);
        var rejected = await org.CreatePayoutAsync(await org.CreatePartnerAsync("p-rejected", Rejected), 34_567);
        await org.ActAsync(org.Approver, approved["id"]!.GetValue<string>(), "approve");
        await org.ActAsync(org.Approver, rejected["id"]!.GetValue<string>(), "reject", new { reason = "Duplicate" });
        Assert.Equal("pending_approval", pending["status"]!.GetValue<string>());
        return (Pending, Approved, Rejected);
    }

    [GeneratedRegex(@"\d+ payouts?\b")]
    private static partial Regex CountText();
}
