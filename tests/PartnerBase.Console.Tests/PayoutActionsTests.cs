using System.Text.RegularExpressions;

namespace PartnerBase.Console.Tests;

/// <summary>Payout actions in the console (CONTRACT §9): confirmation dialogs, reasons, If-Match, bulk approve, New payout.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PayoutActionsTests(ConsoleApp app)
{
    private static readonly Regex Changed = new("changed", RegexOptions.IgnoreCase);

    [Fact]
    public async Task Approve_Confirmed_ShowsApproved()
    {
        var org = new TestOrg(app);
        var partner = await org.CreatePartnerAsync("p-approve", "Approve Me Co");
        var id = (await org.CreatePayoutAsync(partner, 125_000))["id"]!.GetValue<string>();
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "approver-1", "approver");

        await Controls.Row(page, "Approve Me Co").GetByText("Approve Me Co").ClickAsync();
        await page.WaitForURLAsync($"**/payouts/{id}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true })).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Confirm", Exact = true }).ClickAsync();

        await Expect(dialog).ToBeHiddenAsync();
        await Expect(StatusText(page, "approved")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true })).ToHaveCountAsync(0);
        var payout = await org.GetPayoutAsync(id);
        Assert.Equal("approved", payout["status"]!.GetValue<string>());
        Assert.Equal("approver-1", payout["approvedBy"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reject_WithoutReason_AsksForOneAndWithOneRejects()
    {
        var org = new TestOrg(app);
        var partner = await org.CreatePartnerAsync("p-reject", "Reject Me Co");
        var id = (await org.CreatePayoutAsync(partner, 50_000))["id"]!.GetValue<string>();
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "approver-1", "approver");
        await page.GotoAsync($"/payouts/{id}");

        await page.GetByRole(AriaRole.Button, new() { Name = "Reject", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Confirm", Exact = true }).ClickAsync();

        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.GetByText(new Regex("required|enter a reason|give a reason|needs a reason|reason is", RegexOptions.IgnoreCase)).First).ToBeVisibleAsync();
        Assert.Equal("pending_approval", (await org.GetPayoutAsync(id))["status"]!.GetValue<string>());

        await dialog.GetByLabel("Reason", new() { Exact = true }).FillAsync("Duplicate invoice");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Confirm", Exact = true }).ClickAsync();

        await Expect(dialog).ToBeHiddenAsync();
        await Expect(StatusText(page, "rejected")).ToBeVisibleAsync();
        var payout = await org.GetPayoutAsync(id);
        Assert.Equal("rejected", payout["status"]!.GetValue<string>());
        Assert.Equal("Duplicate invoice", payout["rejectionReason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Approve_ChangedMeanwhile_SaysSoAndShowsTheCurrentPayout()
    {
        var org = new TestOrg(app);
        var partner = await org.CreatePartnerAsync("p-stale", "Stale View Co");
        var id = (await org.CreatePayoutAsync(partner, 10_000, notes: "first"))["id"]!.GetValue<string>();
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "approver-1", "approver");
        await page.GotoAsync($"/payouts/{id}");
        await Expect(page.GetByText("$100.00").First).ToBeVisibleAsync();

        var changed = await org.UpdatePayoutAsync(id, new { amount = 12_345, notes = "edited meanwhile" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Confirm", Exact = true }).ClickAsync();

        await Expect(page.GetByText(Changed).First).ToBeVisibleAsync();
        await Expect(page.GetByText("$123.45").First).ToBeVisibleAsync();
        await Expect(page.GetByText("edited meanwhile").First).ToBeVisibleAsync();
        var payout = await org.GetPayoutAsync(id);
        Assert.Equal("pending_approval", payout["status"]!.GetValue<string>());
        Assert.Equal(changed["version"]!.GetValue<int>(), payout["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task Approve_KeyboardOnly_Approves()
    {
        var org = new TestOrg(app);
        var partner = await org.CreatePartnerAsync("p-keys", "Keyboard Partner Co");
        var id = (await org.CreatePayoutAsync(partner, 77_700))["id"]!.GetValue<string>();
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "approver-1", "approver");
        await Expect(Controls.Row(page, "Keyboard Partner Co")).ToHaveCountAsync(1);

        await Controls.TabToAsync(page, f => f.Text.Contains("Keyboard Partner Co", StringComparison.Ordinal) && (f.Tag is "a" or "tr" || f.Role is "link" or "row"), "the payout's row or link");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync($"**/payouts/{id}");
        await Controls.TabToAsync(page, f => f.Text == "Approve", "the Approve button");
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        Assert.True(await Controls.HasFocusWithinAsync(dialog), $"Focus is not in the dialog but on {await Controls.FocusedAsync(page)}");
        if ((await Controls.FocusedAsync(page)).Text != "Confirm")
        {
            await Controls.TabToAsync(page, f => f.Text == "Confirm", "the dialog's Confirm button", limit: 10);
        }

        await page.Keyboard.PressAsync("Enter");

        await Expect(dialog).ToBeHiddenAsync();
        await Expect(StatusText(page, "approved")).ToBeVisibleAsync();
        Assert.Equal("approved", (await org.GetPayoutAsync(id))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ApproveSelected_OneApprovableOneOwn_ReportsCountsAndTheSkippedReason()
    {
        var org = new TestOrg(app);
        var approvable = (await org.CreatePayoutAsync(await org.CreatePartnerAsync("p-bulk-ok", "Bulk Approvable Co"), 20_000))["id"]!.GetValue<string>();
        // Created by the approver who signs in below: separation of duties skips it.
        var own = (await org.CreatePayoutAsync(await org.CreatePartnerAsync("p-bulk-own", "Bulk Own Co"), 30_000, creator: "boss-1"))["id"]!.GetValue<string>();
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "boss-1", "approver");

        await Controls.Row(page, "Bulk Approvable Co").GetByRole(AriaRole.Checkbox).CheckAsync();
        await Controls.Row(page, "Bulk Own Co").GetByRole(AriaRole.Checkbox).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve selected", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        var approvedCount = page.GetByText(new Regex(@"(^|\D)1 approved\b"));
        await Expect(dialog.Or(approvedCount).First).ToBeVisibleAsync();
        if (await dialog.IsVisibleAsync())
        {
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Confirm", Exact = true }).ClickAsync();
        }

        await Expect(approvedCount.First).ToBeVisibleAsync();
        await Expect(page.GetByText(new Regex(@"(^|\D)1 skipped\b")).First).ToBeVisibleAsync();
        await Expect(page.GetByText(new Regex("separation_of_duties|cannot be approved by the user who created", RegexOptions.IgnoreCase)).First).ToBeVisibleAsync();
        Assert.Equal("approved", (await org.GetPayoutAsync(approvable))["status"]!.GetValue<string>());
        Assert.Equal("pending_approval", (await org.GetPayoutAsync(own))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task NewPayout_CreateDoubleClicked_CreatesOnePayout()
    {
        var org = new TestOrg(app);
        var partner = await org.CreatePartnerAsync("p-new", "Brand New Partner");
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "manager-ui", "manager");

        await page.GetByRole(AriaRole.Button, new() { Name = "New payout", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        await Controls.EnterAsync(dialog.GetByLabel("Partner", new() { Exact = true }), partner, "Brand New Partner");
        await dialog.GetByLabel("Amount", new() { Exact = true }).FillAsync("1,250.00");
        await Controls.EnterAsync(dialog.GetByLabel("Currency", new() { Exact = true }), "USD");
        await dialog.GetByLabel("Period", new() { Exact = true }).FillAsync("2026-11");
        await dialog.GetByLabel("Notes", new() { Exact = true }).FillAsync("double click");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).DblClickAsync();

        await Expect(dialog).ToBeHiddenAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        // A second request would land within moments of the first.
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        var payout = Assert.Single(await org.ListPayoutsAsync());
        Assert.Equal(125_000, payout["amount"]!.GetValue<long>());
        Assert.Equal("USD", payout["currency"]!.GetValue<string>());
        Assert.Equal("2026-11", payout["period"]!.GetValue<string>());
        Assert.Equal(partner, payout["partnerId"]!.GetValue<string>());
        Assert.Equal("double click", payout["notes"]!.GetValue<string>());
    }

    /// <summary>A status as the console shows it: the API's value or its words (<c>pending_approval</c> / <c>Pending approval</c>).</summary>
    internal static ILocator StatusText(IPage page, string status) =>
        page.GetByText(new Regex($"^{status.Replace("_", "[_ ]", StringComparison.Ordinal)}$", RegexOptions.IgnoreCase)).First;
}
