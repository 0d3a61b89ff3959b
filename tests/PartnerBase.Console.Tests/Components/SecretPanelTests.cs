using Bunit;
using PartnerBase.Console.Pages.Webhooks;

namespace PartnerBase.Console.Tests.Components;

public sealed class SecretPanelTests : ComponentTest
{
    private const string Secret = "whsec_c2VjcmV0LWtleS1vZi10aGUtdGVzdA==";

    [Fact]
    public void Render_Secret_InAReadOnlyLabelledFieldSaidNotToBeShownAgain()
    {
        var panel = Render<SecretPanel>(parameters => parameters
            .Add(p => p.Secret, Secret).Add(p => p.Url, "https://example.com/hooks").Add(p => p.Intro, "The endpoint was added."));

        var field = panel.Find("input#webhook-secret");
        Assert.Equal(Secret, field.GetAttribute("value"));
        Assert.True(field.HasAttribute("readonly"));
        Assert.Equal("Signing secret of https://example.com/hooks", panel.Find("label[for=webhook-secret]").TextContent);
        Assert.Contains("It will not be shown again.", panel.Find("#" + field.GetAttribute("aria-describedby")).TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Copy_Allowed_CopiesTheSecretAndSaysSo()
    {
        var module = JSInterop.SetupModule("./js/console.js");
        var copy = module.Setup<bool>("copyText", _ => true);
        copy.SetResult(true);
        var panel = Render<SecretPanel>(parameters => parameters.Add(p => p.Secret, Secret).Add(p => p.Url, "https://example.com/hooks").Add(p => p.Intro, ""));

        panel.FindAll("fluent-button").Single(b => b.TextContent.Trim() == "Copy secret").Click();

        Assert.Equal(Secret, Assert.Single(copy.Invocations).Arguments[0]);
        panel.WaitForAssertion(() => Assert.Equal("Copied to the clipboard.", panel.Find("[role=status]").TextContent));
    }

    [Fact]
    public void Copy_Refused_SaysHowToCopyItByHand()
    {
        var module = JSInterop.SetupModule("./js/console.js");
        module.Setup<bool>("copyText", _ => true).SetResult(false);
        var panel = Render<SecretPanel>(parameters => parameters.Add(p => p.Secret, Secret).Add(p => p.Url, "https://example.com/hooks").Add(p => p.Intro, ""));

        panel.FindAll("fluent-button").Single(b => b.TextContent.Trim() == "Copy secret").Click();

        panel.WaitForAssertion(() => Assert.StartsWith("The browser did not allow copying: the secret is selected", panel.Find("[role=status]").TextContent, StringComparison.Ordinal));
    }
}
