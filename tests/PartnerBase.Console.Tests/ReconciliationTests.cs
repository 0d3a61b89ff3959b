namespace PartnerBase.Console.Tests;

/// <summary>Reconciliation (CONTRACT §9, §10): finance runs one and reads its result; other roles are not offered the page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ReconciliationTests(ConsoleApp app)
{
    [Fact]
    public async Task Run_AsFinanceAfterAnAutomaticPayment_ShowsItMatchedWithNoIssues()
    {
        var org = await PaidThroughTheProviderAsync(app);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "finance-1", "finance");

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Reconciliation", Exact = true }).ClickAsync();
        await Expect(page.GetByText("No reconciliation runs yet.")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Run reconciliation", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("1 matched, no issues");
        var run = page.GetByRole(AriaRole.Region, new() { Name = "Run of" });
        await Expect(run.GetByText("No issues", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(run).ToContainTextAsync("1 matched · 0 issues");
        var row = Controls.DataRows(page);
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row.GetByRole(AriaRole.Cell).Nth(2)).ToHaveTextAsync("1");
        await Expect(row.GetByRole(AriaRole.Cell).Nth(3)).ToHaveTextAsync("0");
    }

    [Fact]
    public async Task Run_WithDates_SendsTheDaysAsAWindowThatIncludesTo()
    {
        var org = new TestOrg(app);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "admin-1", "admin");
        await page.GotoAsync("/reconciliation");

        await page.GetByLabel("From", new() { Exact = true }).FillAsync("2026-11-01");
        await page.GetByLabel("To", new() { Exact = true }).FillAsync("2026-11-30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run reconciliation", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Run of 11/1/2026 – 11/30/2026" })).ToBeVisibleAsync();
        var runs = await TestOrg.JsonAsync(await org.Finance.GetAsync("/api/reconciliation-runs", TestContext.Current.CancellationToken));
        var stored = runs["data"]!.AsArray().Single()!;
        Assert.Equal(new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc), stored["from"]!.GetValue<DateTime>().ToUniversalTime());
        Assert.Equal(new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), stored["to"]!.GetValue<DateTime>().ToUniversalTime());
    }

    [Fact]
    public async Task Nav_AsApprover_HasStatementsButNoReconciliation()
    {
        var org = new TestOrg(app);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;

        await app.SignInAsync(page, org.Id, "approver-1", "approver");

        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Statements", Exact = true })).ToBeVisibleAsync();
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Reconciliation", Exact = true })).ToHaveCountAsync(0);

        await page.GotoAsync("/reconciliation");

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Only finance and admins", new() { Timeout = 60_000 });
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Run reconciliation" })).ToHaveCountAsync(0);
    }

    /// <summary>Runs a reconciliation of the last 7 days through the API, as finance.</summary>
    internal static async Task RunAsync(TestOrg org)
    {
        var response = await org.Finance.PostAsync("/api/reconciliation-runs", System.Net.Http.Json.JsonContent.Create(new { }), TestContext.Current.CancellationToken);
        await TestOrg.ExpectAsync(response, System.Net.HttpStatusCode.Created);
    }

    /// <summary>An organization with automatic payments whose one approved payout the simulated provider has paid.</summary>
    internal static async Task<TestOrg> PaidThroughTheProviderAsync(ConsoleApp app)
    {
        var org = new TestOrg(app);
        var patched = await org.Admin.PatchAsync("/api/organization", System.Net.Http.Json.JsonContent.Create(new { automaticPayments = true }), TestContext.Current.CancellationToken);
        await TestOrg.ExpectAsync(patched, System.Net.HttpStatusCode.OK);
        var partner = await org.CreatePartnerAsync("p-paid", "Paid Partner Co", account: "acct_ok_console");
        var payoutId = (await org.CreatePayoutAsync(partner, 12_345))["id"]!.GetValue<string>();
        await org.ActAsync(org.Approver, payoutId, "approve");
        await org.WaitForStatusAsync(payoutId, "paid");
        return org;
    }
}
