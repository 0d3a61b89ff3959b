using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using PartnerBase.Console.Api;
using PartnerBase.Console.Pages.Payouts;

namespace PartnerBase.Console.Tests.Components;

public sealed class PayoutFiltersTests : ComponentTest
{
    private NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    [Fact]
    public void Render_FilterFromTheQuery_IsShownInTheControls()
    {
        var filters = Render<PayoutFilters>(parameters => parameters
            .Add(p => p.Filter, new PayoutFilter("approved", "acme", "2026-Q4"))
            .Add(p => p.Partners, [Partner("acme", "Acme")]));

        Assert.Equal("approved", filters.Find("#filter-status").GetAttribute("value"));
        Assert.Equal("acme", filters.Find("#filter-partner").GetAttribute("value"));
        Assert.Equal("2026-Q4", filters.Find("#filter-period").GetAttribute("value"));
    }

    [Fact]
    public void ChangeStatus_PutsItInTheQueryStringAndDropsTheCursor()
    {
        Navigation.NavigateTo("payouts?period=2026-11&cursor=abc");
        var filters = Render<PayoutFilters>(parameters => parameters.Add(p => p.Filter, new PayoutFilter(Period: "2026-11")));

        filters.Find("#filter-status").Change("pending_approval");

        var query = new Uri(Navigation.Uri).Query;
        Assert.Contains("status=pending_approval", query, StringComparison.Ordinal);
        Assert.Contains("period=2026-11", query, StringComparison.Ordinal);
        Assert.DoesNotContain("cursor", query, StringComparison.Ordinal);
    }

    [Fact]
    public void ChangePeriod_Invalid_SaysSoAndKeepsTheAddress()
    {
        Navigation.NavigateTo("payouts?status=paid");
        var filters = Render<PayoutFilters>(parameters => parameters.Add(p => p.Filter, new PayoutFilter(Status: "paid")));

        filters.Find("#filter-period").Change("November");

        Assert.EndsWith("payouts?status=paid", Navigation.Uri, StringComparison.Ordinal);
        Assert.Contains("Enter a period like 2026-11 or 2026-Q4.", filters.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void ClearFilters_LeavesNoFilterInTheAddress()
    {
        Navigation.NavigateTo("payouts?status=paid&partnerId=acme");
        var filters = Render<PayoutFilters>(parameters => parameters.Add(p => p.Filter, new PayoutFilter("paid", "acme")));

        filters.FindAll("button").Single(button => button.TextContent == "Clear filters").Click();

        Assert.Equal("", new Uri(Navigation.Uri).Query);
    }

    private static Partner Partner(string id, string name) => new(id, name, $"{id}@example.test", 1000, null, null, "missing", true, [], DateTime.UnixEpoch, 1);
}
