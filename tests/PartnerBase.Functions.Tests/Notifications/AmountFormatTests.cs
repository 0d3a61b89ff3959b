using PartnerBase.Core;
using PartnerBase.Functions.Notifications;

namespace PartnerBase.Functions.Tests.Notifications;

public sealed class AmountFormatTests
{
    [Theory]
    [InlineData(125_000L, "USD", "USD 1,250.00")]
    [InlineData(1_250L, "JPY", "JPY 1,250")]
    [InlineData(1_250L, "BHD", "BHD 1.250")]
    [InlineData(12_345_678L, "CLF", "CLF 1,234.5678")]
    [InlineData(5L, "USD", "USD 0.05")]
    [InlineData(0L, "USD", "USD 0.00")]
    [InlineData(999L, "JPY", "JPY 999")]
    [InlineData(123_456_789L, "BHD", "BHD 123,456.789")]
    [InlineData(-123_456L, "USD", "USD -1,234.56")]
    [InlineData(1_000_000_000_000L, "USD", "USD 10,000,000,000.00")]
    [InlineData(long.MaxValue, "JPY", "JPY 9,223,372,036,854,775,807")]
    [InlineData(long.MinValue, "USD", "USD -92,233,720,368,547,758.08")]
    public void Format_Amount_UsesThousandsSeparatorsAndTheCurrencysDecimals(long minorUnits, string currency, string expected)
    {
        Assert.Equal(expected, AmountFormat.Format(new Money(minorUnits, Currency.Parse(currency))));
    }
}
