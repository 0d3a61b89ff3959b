namespace PartnerBase.Core.Tests;

public class CurrencyTests
{
    [Theory]
    [InlineData("USD", 2)]
    [InlineData("EUR", 2)]
    [InlineData("JPY", 0)]
    [InlineData("BHD", 3)]
    [InlineData("CLF", 4)]
    public void TryParse_IsoCode_ReturnsCurrencyWithItsDecimals(string code, int decimals)
    {
        Assert.True(Currency.TryParse(code, out var currency));
        Assert.Equal(code, currency.Code);
        Assert.Equal(decimals, currency.DecimalPlaces);
    }

    // CONTRACT §1: codes are upper case; anything else is a validation error, not a guess.
    [Theory]
    [InlineData("usd")]
    [InlineData("Usd")]
    [InlineData("US")]
    [InlineData("XXX1")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("ABC")]
    [InlineData(" USD")]
    [InlineData("USD ")]
    public void TryParse_NotAnIsoCode_ReturnsFalse(string? code)
    {
        Assert.False(Currency.TryParse(code, out var currency));
        Assert.Equal(default, currency);
    }

    [Fact]
    public void Parse_UnknownCode_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => Currency.Parse("ABC"));
    }

    [Fact]
    public void Equals_SameCodeParsedTwice_IsTrue()
    {
        Assert.Equal(Currency.Parse("USD"), Currency.Parse("USD"));
        Assert.NotEqual(Currency.Parse("USD"), Currency.Parse("EUR"));
    }

    [Fact]
    public void ToString_Currency_IsItsCode()
    {
        Assert.Equal("JPY", Currency.Parse("JPY").ToString());
    }
}
