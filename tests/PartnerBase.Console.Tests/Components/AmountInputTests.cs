using Bunit;
using PartnerBase.Console.Amounts;

namespace PartnerBase.Console.Tests.Components;

public sealed class AmountInputTests : ComponentTest
{
    [Fact]
    public void Input_MajorUnits_BindsMinorUnits()
    {
        long? value = null;
        var input = Render<AmountInput>(parameters => parameters
            .Add(p => p.Currency, "USD")
            .Add(p => p.ValueChanged, (long? v) => value = v));

        input.Find("input").Input("1,250.00");

        Assert.Equal(125_000, value);
        Assert.Empty(input.FindAll(".field-error"));
    }

    [Fact]
    public void Input_DecimalsInJpy_IsAnErrorAndNoValue()
    {
        long? value = 1;
        var input = Render<AmountInput>(parameters => parameters
            .Add(p => p.Currency, "JPY")
            .Add(p => p.Value, 1L)
            .Add(p => p.ValueChanged, (long? v) => value = v));

        input.Find("input").Input("1,250.5");

        Assert.Null(value);
        Assert.Equal("JPY has no decimals.", input.Find(".field-error").TextContent);
        Assert.Equal("true", input.Find("input").GetAttribute("aria-invalid"));
    }

    [Fact]
    public void Label_NamesTheField()
    {
        var input = Render<AmountInput>(parameters => parameters.Add(p => p.Currency, "USD").Add(p => p.Id, "x"));

        Assert.Equal("x", input.Find("label").GetAttribute("for"));
        Assert.Equal("Amount", input.Find("label").TextContent);
    }
}
