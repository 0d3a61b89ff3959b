namespace PartnerBase.Core.Tests;

public class MoneyTests
{
    [Theory]
    [InlineData(123456, "USD", "1234.56")]
    [InlineData(5, "USD", "0.05")]
    [InlineData(0, "USD", "0.00")]
    [InlineData(100, "USD", "1.00")]
    [InlineData(-5, "USD", "-0.05")]
    [InlineData(-123456, "USD", "-1234.56")]
    [InlineData(1234, "JPY", "1234")]
    [InlineData(0, "JPY", "0")]
    [InlineData(-1234, "JPY", "-1234")]
    [InlineData(1234, "BHD", "1.234")]
    [InlineData(5, "BHD", "0.005")]
    [InlineData(-1234, "BHD", "-1.234")]
    [InlineData(12345, "CLF", "1.2345")]
    public void ToMajorUnitString_Amount_UsesCurrencyDecimals(long minorUnits, string currency, string expected)
    {
        Assert.Equal(expected, new Money(minorUnits, Currency.Parse(currency)).ToMajorUnitString());
    }

    // Exports format every stored amount; the extremes must not overflow on the way to text.
    [Theory]
    [InlineData(long.MaxValue, "USD", "92233720368547758.07")]
    [InlineData(long.MaxValue, "JPY", "9223372036854775807")]
    [InlineData(long.MaxValue, "BHD", "9223372036854775.807")]
    [InlineData(long.MaxValue, "CLF", "922337203685477.5807")]
    [InlineData(long.MinValue, "USD", "-92233720368547758.08")]
    [InlineData(long.MinValue, "BHD", "-9223372036854775.808")]
    [InlineData(long.MinValue, "JPY", "-9223372036854775808")]
    public void ToMajorUnitString_ExtremeAmount_FormatsEveryDigit(long minorUnits, string currency, string expected)
    {
        Assert.Equal(expected, new Money(minorUnits, Currency.Parse(currency)).ToMajorUnitString());
    }

    [Fact]
    public void ToString_Amount_AppendsCurrencyCode()
    {
        Assert.Equal("1234.56 USD", new Money(123456, Currency.Parse("USD")).ToString());
    }

    [Fact]
    public void Equals_SameUnitsDifferentCurrency_IsFalse()
    {
        Assert.NotEqual(new Money(100, Currency.Parse("USD")), new Money(100, Currency.Parse("EUR")));
    }
}
