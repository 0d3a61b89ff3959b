using System.Net.Http.Json;

namespace PartnerBase.Console.Tests;

/// <summary>The Settings page (CONTRACT §5, §8, §10): what an admin saves is what the API then answers.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SettingsTests(ConsoleApp app)
{
    [Fact]
    public async Task Save_FinanceEmails_AreSavedBesideTheApproverEmails()
    {
        var org = new TestOrg(app);
        var seeded = await org.Admin.PatchAsJsonAsync("/api/organization", new { approverEmails = new[] { "approver@example.com" } }, TestContext.Current.CancellationToken);
        await TestOrg.ExpectAsync(seeded, System.Net.HttpStatusCode.OK);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "admin-1", "admin");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Settings", Exact = true }).ClickAsync();
        await Expect(page.GetByLabel("Approver emails")).ToHaveValueAsync("approver@example.com");

        await page.GetByLabel("Finance emails").FillAsync("finance@example.com\nledger@example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save settings", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("The settings were saved.");
        var organization = await TestOrg.JsonAsync(await org.Viewer.GetAsync("/api/organization", TestContext.Current.CancellationToken));
        Assert.Equal(["finance@example.com", "ledger@example.com"], organization["financeEmails"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(["approver@example.com"], organization["approverEmails"]!.AsArray().Select(e => e!.GetValue<string>()));

        await page.ReloadAsync();

        await Expect(page.GetByLabel("Finance emails")).ToHaveValueAsync("finance@example.com\nledger@example.com", new() { Timeout = 60_000 });
    }
}
