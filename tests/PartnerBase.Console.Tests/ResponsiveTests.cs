using PartnerBase.Functions.Tests.Webhooks;

namespace PartnerBase.Console.Tests;

/// <summary>At 390 px wide the console works as on a desktop (CONTRACT §9): no sideways scrolling of the page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ResponsiveTests(ConsoleApp app)
{
    private const int PhoneWidth = 390;

    [Fact]
    public async Task PayoutsPage_390PxWide_HasNoHorizontalScrollAndShowsPayouts()
    {
        var org = new TestOrg(app);
        await PayoutsPageTests.ThreeStatusesAsync(org);
        await using var browser = await app.OpenAsync(PhoneWidth, 844);
        var page = browser.Page;

        await app.SignInAsync(page, org.Id, "approver-1", "approver");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Pending approval", Exact = true })).ToBeVisibleAsync();
        // Visible ones only: the Partner filter's options carry the same names.
        await Expect(page.GetByText("Approved Partner Co").Filter(new() { Visible = true }).First).ToBeVisibleAsync();
        await Expect(page.GetByText("Pending Partner Co").Filter(new() { Visible = true }).First).ToBeVisibleAsync();
        await AssertNoHorizontalScrollAsync(page);
    }

    [Fact]
    public async Task PayoutDetail_390PxWide_HasNoHorizontalScrollAndShowsActions()
    {
        var org = new TestOrg(app);
        var partner = await org.CreatePartnerAsync("p-narrow", "Narrow Screen Co");
        var id = (await org.CreatePayoutAsync(partner, 98_765))["id"]!.GetValue<string>();
        await using var browser = await app.OpenAsync(PhoneWidth, 844);
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "approver-1", "approver");

        await page.GotoAsync($"/payouts/{id}");

        await Expect(page.GetByText("$987.65").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true })).ToBeVisibleAsync();
        await AssertNoHorizontalScrollAsync(page);
    }

    [Fact]
    public async Task StatementsPage_ViewedStatement_390PxWide_HasNoHorizontalScroll()
    {
        var (org, partner) = await StatementsTests.StatementOfLastMonthAsync(app);
        await using var browser = await app.OpenAsync(PhoneWidth, 844);
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "finance-narrow", "finance");

        await StatementsTests.ViewStatementAsync(page, partner);

        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Generate", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Download PDF" })).ToBeVisibleAsync();
        await AssertNoHorizontalScrollAsync(page);
    }

    [Fact]
    public async Task ReconciliationPage_WithARun_390PxWide_HasNoHorizontalScroll()
    {
        var org = await ReconciliationTests.PaidThroughTheProviderAsync(app);
        await ReconciliationTests.RunAsync(org);
        await using var browser = await app.OpenAsync(PhoneWidth, 844);
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "finance-narrow", "finance");

        await page.GotoAsync("/reconciliation");

        await Expect(page.GetByText("No issues", new() { Exact = true })).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Run reconciliation", Exact = true })).ToBeVisibleAsync();
        await AssertNoHorizontalScrollAsync(page);
    }

    [Fact]
    public async Task Portal_WithStatements_390PxWide_HasNoHorizontalScroll()
    {
        var (org, partner) = await StatementsTests.StatementOfLastMonthAsync(app);
        await using var browser = await app.OpenAsync(PhoneWidth, 844);
        var page = browser.Page;

        await app.SignInAsync(page, org.Id, "partner-narrow", "partner", partner);

        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Download PDF" })).ToBeVisibleAsync();
        await AssertNoHorizontalScrollAsync(page);
    }

    [Fact]
    public async Task WebhooksPage_WithADeliveryAndANewSecret_390PxWide_HasNoHorizontalScroll()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = new TestOrg(app);
        var endpoint = await WebhooksTests.CreateEndpointAsync(org, receiver.Url, "Ledger sync");
        await WebhooksTests.SendTestEventAsync(org, endpoint);
        await using var browser = await app.OpenAsync(PhoneWidth, 844);
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "admin-narrow", "admin");
        await page.GotoAsync("/webhooks");

        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate secret", Exact = true }).ClickAsync(new() { Timeout = 60_000 });
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Confirm", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Signing secret" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copy secret", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByText("Succeeded", new() { Exact = true })).ToBeVisibleAsync();
        await AssertNoHorizontalScrollAsync(page);
    }

    private static async Task AssertNoHorizontalScrollAsync(IPage page)
    {
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        var scrollWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(scrollWidth <= PhoneWidth, $"{page.Url}: the document is {scrollWidth} px wide in a {PhoneWidth} px viewport");
    }
}
