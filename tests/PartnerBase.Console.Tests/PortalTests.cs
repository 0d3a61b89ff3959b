using System.Text.RegularExpressions;

namespace PartnerBase.Console.Tests;

/// <summary>The partner portal (CONTRACT §9): a partner sees its own payouts and never another's, nor the staff pages.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PortalTests(ConsoleApp app)
{
    [Fact]
    public async Task Portal_Partner_ShowsOnlyItsOwnPayouts()
    {
        await using var browser = await app.OpenAsync();
        var page = browser.Page;

        await SignInAsOwnPartnerAsync(page);

        await Expect(page.GetByText("$111.00").First).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await Expect(page.GetByText("$222.00")).ToHaveCountAsync(0);
        await Expect(page.GetByText("Other Partner Co")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task PayoutsPage_Partner_IsNotAllowed()
    {
        await using var browser = await app.OpenAsync();
        var page = browser.Page;
        await SignInAsOwnPartnerAsync(page);

        await page.GotoAsync("/payouts");

        // Either the page says the partner may not see it, or the console sends the partner back to its portal.
        var notAllowed = page.GetByRole(AriaRole.Alert)
            .Or(page.GetByText(new Regex("not allowed|not authori[sz]ed|access denied|no access|permission|may not|for staff", RegexOptions.IgnoreCase))).First;
        await Expect(notAllowed.Or(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        if (!Regex.IsMatch(page.Url, @"/portal([?#]|$)"))
        {
            await Expect(notAllowed).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Table)).ToHaveCountAsync(0);
            await Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "Partner", Exact = true })).ToHaveCountAsync(0);
        }

        await Expect(page.GetByText("$222.00")).ToHaveCountAsync(0);
        await Expect(page.GetByText("Other Partner Co")).ToHaveCountAsync(0);
    }

    /// <summary>An organization with "Own Partner Co" ($111.00) and "Other Partner Co" ($222.00), signed in as the own partner.</summary>
    private async Task SignInAsOwnPartnerAsync(IPage page)
    {
        var org = new TestOrg(app);
        var own = await org.CreatePartnerAsync("p-own", "Own Partner Co");
        var other = await org.CreatePartnerAsync("p-other", "Other Partner Co");
        await org.CreatePayoutAsync(own, 11_100);
        await org.CreatePayoutAsync(other, 22_200);
        await app.SignInAsync(page, org.Id, "partner-user-own", "partner", own);
    }
}
