using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using PartnerBase.Functions.Tests.Webhooks;

namespace PartnerBase.Console.Tests;

/// <summary>axe-core finds no serious or critical violation on any page of the console (CONTRACT §9).</summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessibilityTests(ConsoleApp app)
{
    private static readonly string[] Blocking = ["serious", "critical"];

    [Fact]
    public async Task LoginForm_Axe_HasNoSeriousViolations()
    {
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        var response = await page.GotoAsync("/.auth/login");
        Assert.True(response?.Ok, $"GET /.auth/login answered {response?.Status}");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true })).ToBeVisibleAsync();

        await AssertNoSeriousViolationsAsync(page);
    }

    [Theory]
    [InlineData("/payouts")]
    [InlineData("/payouts/{id}")]
    [InlineData("/partners")]
    [InlineData("/commission-runs")]
    [InlineData("/activity")]
    [InlineData("/settings")]
    [InlineData("/statements")]
    [InlineData("/reconciliation")]
    [InlineData("/webhooks")]
    public async Task StaffPage_Axe_HasNoSeriousViolations(string path)
    {
        var org = new TestOrg(app);
        var partner = await org.CreatePartnerAsync("p-axe", "Accessible Partner Co");
        var id = (await org.CreatePayoutAsync(partner, 45_600, notes: "axe"))["id"]!.GetValue<string>();
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "admin-1", "admin");

        await page.GotoAsync(path.Replace("{id}", id, StringComparison.Ordinal));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 }).First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        await AssertNoSeriousViolationsAsync(page);
    }

    [Fact]
    public async Task Portal_Axe_HasNoSeriousViolations()
    {
        var org = new TestOrg(app);
        var partner = await org.CreatePartnerAsync("p-axe", "Accessible Partner Co");
        await org.CreatePayoutAsync(partner, 45_600);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "partner-axe", "partner", partner);
        await Expect(page.GetByText("$456.00").First).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        await AssertNoSeriousViolationsAsync(page);
    }

    [Fact]
    public async Task StatementsPage_ViewedStatement_Axe_HasNoSeriousViolations()
    {
        var (org, partner) = await StatementsTests.StatementOfLastMonthAsync(app);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "finance-axe", "finance");

        await StatementsTests.ViewStatementAsync(page, partner);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        await AssertNoSeriousViolationsAsync(page);
    }

    [Fact]
    public async Task ReconciliationPage_WithARun_Axe_HasNoSeriousViolations()
    {
        var org = await ReconciliationTests.PaidThroughTheProviderAsync(app);
        await ReconciliationTests.RunAsync(org);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "finance-axe", "finance");

        await page.GotoAsync("/reconciliation");
        await Expect(page.GetByText("No issues", new() { Exact = true })).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        await AssertNoSeriousViolationsAsync(page);
    }

    [Fact]
    public async Task Portal_WithStatements_Axe_HasNoSeriousViolations()
    {
        var (org, partner) = await StatementsTests.StatementOfLastMonthAsync(app);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "partner-axe", "partner", partner);
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Your statements" })).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        await AssertNoSeriousViolationsAsync(page);
    }

    [Fact]
    public async Task WebhooksPage_WithADeliveryAndTheAddDialog_Axe_HasNoSeriousViolations()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var org = new TestOrg(app);
        var endpoint = await WebhooksTests.CreateEndpointAsync(org, receiver.Url, "Ledger sync");
        await WebhooksTests.SendTestEventAsync(org, endpoint);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "admin-axe", "admin");

        await page.GotoAsync("/webhooks");
        await Expect(page.GetByText("Succeeded", new() { Exact = true })).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await AssertNoSeriousViolationsAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "Add endpoint", Exact = true }).ClickAsync();
        await page.GetByLabel("Only these events").CheckAsync();
        await Expect(page.GetByLabel("payout.paid", new() { Exact = true })).ToBeVisibleAsync();
        await AssertNoSeriousViolationsAsync(page);
    }

    private static async Task AssertNoSeriousViolationsAsync(IPage page)
    {
        var result = await page.RunAxe();

        var blocking = result.Violations.Where(v => Blocking.Contains(v.Impact)).ToList();
        Assert.True(blocking.Count == 0, $"axe-core on {page.Url}:\n" + string.Join("\n", blocking.Select(Describe)));
    }

    private static string Describe(AxeResultItem violation) =>
        $"{violation.Id} ({violation.Impact}): {violation.Help} — {string.Join("; ", violation.Nodes.Select(n => n.Target?.ToString()))}";
}
