using PartnerBase.Console.Pages.Statements;

namespace PartnerBase.Console.Tests.Components;

public sealed class StatementPeriodTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 15, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("2026-10", "2026-10")]
    [InlineData(" 2026-11 ", "2026-11")]
    [InlineData("2026-Q4", "2026-Q4")]
    [InlineData("2026-q3", "2026-Q3")]
    public void TryRead_StartedMonthOrQuarter_GivesTheApisForm(string text, string expected)
    {
        Assert.True(StatementPeriod.TryRead(text, Now, out var period, out var error), error);
        Assert.Equal(expected, period);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("October")]
    [InlineData("2026-13")]
    [InlineData("2026-Q5")]
    [InlineData("10/2026")]
    public void TryRead_NotAPeriod_AsksForOne(string? text)
    {
        Assert.False(StatementPeriod.TryRead(text, Now, out _, out var error));
        Assert.Equal(StatementPeriod.Hint, error);
    }

    [Fact]
    public void TryRead_NextMonth_HasNotStarted()
    {
        Assert.False(StatementPeriod.TryRead("2026-12", Now, out _, out var error));
        Assert.Equal("2026-12 has not started yet.", error);
    }

    [Theory]
    [InlineData("2026-11-15T09:00:00Z", "2026-10")]
    [InlineData("2026-01-01T00:00:00Z", "2025-12")]
    [InlineData("2026-03-31T23:59:59Z", "2026-02")]
    public void LastMonth_IsTheMonthBefore(string now, string expected) =>
        Assert.Equal(expected, StatementPeriod.LastMonth(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture)));
}
