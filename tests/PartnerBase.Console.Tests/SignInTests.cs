using System.Text.RegularExpressions;

namespace PartnerBase.Console.Tests;

/// <summary>Development sign-in (CONTRACT §9): where each role lands, and the navigation links each role gets.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SignInTests(ConsoleApp app)
{
    private static readonly string[] StaffLinks = ["Payouts", "Partners", "Commission runs", "Activity", "Settings"];

    [Fact]
    public async Task LoginForm_InDevelopment_HasTheLabelledFieldsAndSignInButton()
    {
        await using var browser = await app.OpenAsync();
        var page = browser.Page;

        var response = await page.GotoAsync("/.auth/login");

        Assert.True(response?.Ok, $"GET /.auth/login answered {response?.Status}");
        foreach (var label in new[] { "User", "Organization", "Roles", "Partner" })
        {
            await Expect(page.GetByLabel(label, new() { Exact = true })).ToBeEditableAsync();
        }

        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true })).ToBeVisibleAsync();
    }

    [Theory]
    [InlineData("viewer", new[] { "Payouts", "Partners", "Activity" }, new[] { "Commission runs", "Settings" })]
    [InlineData("manager", new[] { "Payouts", "Partners", "Commission runs", "Activity" }, new[] { "Settings" })]
    [InlineData("approver", new[] { "Payouts", "Partners", "Activity" }, new[] { "Commission runs", "Settings" })]
    [InlineData("finance", new[] { "Payouts", "Partners", "Activity" }, new[] { "Commission runs", "Settings" })]
    [InlineData("admin", new[] { "Payouts", "Partners", "Commission runs", "Activity", "Settings" }, new string[0])]
    public async Task SignIn_AsStaffRole_LandsOnPayoutsWithTheRolesLinks(string role, string[] shown, string[] hidden)
    {
        var org = new TestOrg(app);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;

        await app.SignInAsync(page, org.Id, $"{role}-1", role);

        Assert.Matches(@"/payouts([?#]|$)", page.Url);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Payouts", Level = 1 })).ToBeVisibleAsync();
        var navigation = page.GetByRole(AriaRole.Navigation);
        foreach (var link in shown)
        {
            await Expect(navigation.GetByRole(AriaRole.Link, new() { Name = link, Exact = true })).ToBeVisibleAsync();
        }

        foreach (var link in hidden)
        {
            await Expect(navigation.GetByRole(AriaRole.Link, new() { Name = link, Exact = true })).ToHaveCountAsync(0);
        }
    }

    [Fact]
    public async Task SignIn_AsPartner_LandsOnPortalWithoutStaffLinks()
    {
        var org = new TestOrg(app);
        var partner = await org.CreatePartnerAsync("p-portal", "Portal Partner Co");
        await using var browser = await app.OpenAsync();
        var page = browser.Page;

        await app.SignInAsync(page, org.Id, "partner-user-1", "partner", partner);

        Assert.Matches(@"/portal([?#]|$)", page.Url);
        var navigation = page.GetByRole(AriaRole.Navigation);
        await Expect(navigation.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("portal", RegexOptions.IgnoreCase) })).ToBeVisibleAsync();
        foreach (var link in StaffLinks)
        {
            await Expect(page.GetByRole(AriaRole.Link, new() { Name = link, Exact = true })).ToHaveCountAsync(0);
        }
    }

    [Fact]
    public async Task SignIn_Reload_StaysSignedIn()
    {
        var org = new TestOrg(app);
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await app.SignInAsync(page, org.Id, "viewer-1", "viewer");

        await page.ReloadAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Payouts", Level = 1 })).ToBeVisibleAsync(new() { Timeout = 60_000 });
        Assert.Matches(@"/payouts([?#]|$)", page.Url);
    }
}
