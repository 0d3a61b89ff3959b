namespace PartnerBase.Core.Tests;

public class PeriodTests
{
    [Fact]
    public void TryParse_Month_CoversThatMonth()
    {
        Assert.True(Period.TryParse("2026-07", out var period));

        Assert.False(period.IsQuarter);
        Assert.Equal(1, period.Months);
        Assert.Equal(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero), period.Start);
        Assert.Equal(new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero), period.End);
    }

    [Theory]
    [InlineData("2026-Q1", 1, 2026, 4)]
    [InlineData("2026-Q2", 4, 2026, 7)]
    [InlineData("2026-Q3", 7, 2026, 10)]
    [InlineData("2026-Q4", 10, 2027, 1)]
    public void TryParse_Quarter_CoversItsThreeMonths(string text, int startMonth, int endYear, int endMonth)
    {
        Assert.True(Period.TryParse(text, out var period));

        Assert.True(period.IsQuarter);
        Assert.Equal(3, period.Months);
        Assert.Equal(new DateTimeOffset(2026, startMonth, 1, 0, 0, 0, TimeSpan.Zero), period.Start);
        Assert.Equal(new DateTimeOffset(endYear, endMonth, 1, 0, 0, 0, TimeSpan.Zero), period.End);
    }

    [Fact]
    public void TryParse_December_EndsOnNewYear()
    {
        Assert.True(Period.TryParse("2026-12", out var period));

        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), period.End);
    }

    [Theory]
    [InlineData("2026-13")]
    [InlineData("2026-00")]
    [InlineData("2026-Q5")]
    [InlineData("2026-Q0")]
    [InlineData("2026-q3")]
    [InlineData("26-07")]
    [InlineData("2026-7")]
    [InlineData("2026/07")]
    [InlineData("-026-07")]
    [InlineData("2026-+7")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData(" 2026-07")]
    [InlineData("2026-07 ")]
    public void TryParse_Malformed_ReturnsFalse(string? text)
    {
        Assert.False(Period.TryParse(text, out _));
    }

    [Theory]
    [InlineData("2026-07")]
    [InlineData("2026-12")]
    [InlineData("1970-01")]
    [InlineData("2026-Q1")]
    [InlineData("2026-Q3")]
    public void ToString_ParsedPeriod_RoundTrips(string text)
    {
        Assert.True(Period.TryParse(text, out var period));

        Assert.Equal(text, period.ToString());
    }

    // CONTRACT §4: filters match the period string exactly, so a quarter is not the month it starts with.
    [Fact]
    public void Equals_QuarterAndItsFirstMonth_IsFalse()
    {
        Assert.True(Period.TryParse("2026-Q3", out var quarter));
        Assert.True(Period.TryParse("2026-07", out var month));

        Assert.Equal(quarter.Start, month.Start);
        Assert.NotEqual(quarter, month);
    }

    [Fact]
    public void Month_YearAndMonth_EqualsParsedMonth()
    {
        Assert.True(Period.TryParse("2026-07", out var parsed));

        Assert.Equal(parsed, Period.Month(2026, 7));
    }

    // DateTimeOffset ends in 9999; a period there would have no end instant, so it is not a period.
    [Theory]
    [InlineData("9999-12")]
    [InlineData("9999-Q4")]
    [InlineData("1969-12")]
    public void TryParse_YearOutsideSupportedRange_ReturnsFalse(string text)
    {
        Assert.False(Period.TryParse(text, out _));
    }

    [Fact]
    public void TryParse_LastSupportedYear_HasAnEnd()
    {
        Assert.True(Period.TryParse("9998-Q4", out var period));
        Assert.Equal(new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero), period.End);
    }

    [Theory]
    [InlineData(2026, 13)]
    [InlineData(2026, 0)]
    [InlineData(1969, 1)]
    public void Month_OutOfRange_Throws(int year, int month)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Period.Month(year, month));
    }
}
