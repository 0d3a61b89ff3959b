using System.Globalization;
using PartnerBase.Console.Amounts;

namespace PartnerBase.Console.Tests.Components;

public sealed class AmountsTests
{
    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-US");
    private static readonly CultureInfo German = CultureInfo.GetCultureInfo("de-DE");

    [Theory]
    [InlineData("1,250.00", "USD", 125_000)]
    [InlineData("1250", "USD", 125_000)]
    [InlineData("0.01", "USD", 1)]
    [InlineData("$22,000.00", "USD", 2_200_000)]
    [InlineData("1,250", "JPY", 1_250)]
    [InlineData("1.234", "KWD", 1_234)]
    [InlineData("10,000,000,000.00", "USD", 1_000_000_000_000)]
    public void TryParse_MajorUnits_GivesExactMinorUnits(string text, string currency, long expected)
    {
        Assert.True(Amounts.Amounts.TryParse(text, currency, English, out var minor, out var error), error);
        Assert.Equal(expected, minor);
    }

    [Fact]
    public void TryParse_GermanSeparators_AreTheCulturesOwn()
    {
        Assert.True(Amounts.Amounts.TryParse("1.250,50", "EUR", German, out var minor, out _));
        Assert.Equal(125_050, minor);
    }

    [Theory]
    [InlineData("12.5", "JPY", "JPY has no decimals.")]
    [InlineData("1.005", "USD", "USD has 2 decimals at most.")]
    [InlineData("-5", "USD", "Enter an amount like 1,250.00.")]
    [InlineData("1e3", "USD", "Enter an amount like 1,250.00.")]
    [InlineData("0", "USD", "Enter an amount above zero.")]
    [InlineData("", "USD", "Enter an amount.")]
    [InlineData("10,000,000,000.01", "USD", "The amount is too large.")]
    [InlineData("5", "XXX", "Choose a currency first.")]
    public void TryParse_Invalid_SaysWhy(string text, string currency, string expected)
    {
        Assert.False(Amounts.Amounts.TryParse(text, currency, English, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(2_200_000, "USD", "en-US", "$22,000.00")]
    [InlineData(563_000, "USD", "en-US", "$5,630.00")]
    [InlineData(1_250, "JPY", "en-US", "¥1,250")]
    [InlineData(125_050, "EUR", "de-DE", "1.250,50 €")]
    [InlineData(1_234, "KWD", "en-US", "KWD1.234")]
    public void Format_UsesTheCurrencysDecimalsAndTheCulture(long minor, string currency, string culture, string expected) =>
        Assert.Equal(expected, Amounts.Amounts.Format(minor, currency, CultureInfo.GetCultureInfo(culture)).Replace('\u00a0', ' '));
}
