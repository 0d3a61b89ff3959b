using System.Globalization;
using PartnerBase.Console.Api;
using PartnerBase.Console.Pages.Reconciliation;
using PartnerBase.Core.Reconciliation;
using ReconciliationIssue = PartnerBase.Console.Api.ReconciliationIssue;

namespace PartnerBase.Console.Tests.Components;

public sealed class ReconciliationTextTests
{
    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-US");

    [Theory]
    [InlineData(IssueKind.MissingTransfer, "Missing transfer")]
    [InlineData(IssueKind.UnknownTransfer, "Unknown transfer")]
    [InlineData(IssueKind.AmountMismatch, "Amount mismatch")]
    [InlineData(IssueKind.CurrencyMismatch, "Currency mismatch")]
    [InlineData(IssueKind.ReversedTransfer, "Reversed transfer")]
    [InlineData(IssueKind.StuckProcessing, "Stuck in processing")]
    public void Kind_EveryKind_InWords(IssueKind kind, string expected) => Assert.Equal(expected, ReconciliationText.Kind(kind));

    [Fact]
    public void Kind_EveryKind_HasWordsAndAnExplanation() =>
        Assert.All(Enum.GetValues<IssueKind>(), kind =>
        {
            Assert.NotEqual(kind.ToString(), ReconciliationText.Kind(kind));
            Assert.NotEqual("", ReconciliationText.Explain(kind));
        });

    [Fact]
    public void Value_AmountMismatchWithTheCurrency_IsMoney()
    {
        var issue = new ReconciliationIssue(IssueKind.AmountMismatch, "po_1", "tr_1", "12345", "12000");

        Assert.Equal("$123.45", ReconciliationText.Value(issue, issue.Expected, "USD", English));
        Assert.Equal("¥12,000", ReconciliationText.Value(issue, issue.Actual, "JPY", English));
    }

    [Fact]
    public void Value_AmountMismatchWithoutTheCurrency_SaysMinorUnits()
    {
        var issue = new ReconciliationIssue(IssueKind.AmountMismatch, "po_1", "tr_1", "12345", "12000");

        Assert.Equal("12345 (minor units)", ReconciliationText.Value(issue, issue.Expected, null, English));
    }

    [Fact]
    public void Value_CurrencyMismatchOrNone_IsTheCodeOrADash()
    {
        var issue = new ReconciliationIssue(IssueKind.CurrencyMismatch, "po_1", "tr_1", "USD", "EUR");

        Assert.Equal("EUR", ReconciliationText.Value(issue, issue.Actual, "USD", English));
        Assert.Equal("—", ReconciliationText.Value(issue, null, "USD", English));
    }

    [Theory]
    [InlineData("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", "11/1/2026 – 11/30/2026")]
    [InlineData("2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z", "11/30/2026")]
    public void Window_WholeUtcDays_ShowsTheDaysCoveredWithTheLastIncluded(string from, string to, string expected) =>
        Assert.Equal(expected, ReconciliationText.Window(Utc(from), Utc(to), English));

    [Fact]
    public void Window_Moments_ShowsBoth()
    {
        var text = ReconciliationText.Window(Utc("2026-11-24T14:30:00Z"), Utc("2026-12-01T14:30:00Z"), English);

        Assert.Contains(" – ", text, StringComparison.Ordinal);
        Assert.Contains("2026", text, StringComparison.Ordinal);
        Assert.Contains(":30", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadWindow_Days_ToIsSentAsTheNextDay()
    {
        Assert.True(ReconciliationText.TryReadWindow(new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 30), out var from, out var to, out var error));

        Assert.Equal(("2026-11-01", "2026-12-01", null), (from, to, error));
    }

    [Fact]
    public void TryReadWindow_Empty_LeavesTheApisDefaults()
    {
        Assert.True(ReconciliationText.TryReadWindow(null, null, out var from, out var to, out _));

        Assert.Equal((null, null), (from, to));
    }

    [Fact]
    public void TryReadWindow_SameDay_IsThatDay()
    {
        Assert.True(ReconciliationText.TryReadWindow(new DateOnly(2026, 11, 30), new DateOnly(2026, 11, 30), out var from, out var to, out _));

        Assert.Equal(("2026-11-30", "2026-12-01"), (from, to));
    }

    [Fact]
    public void TryReadWindow_FromAfterTo_IsRefused()
    {
        Assert.False(ReconciliationText.TryReadWindow(new DateOnly(2026, 12, 2), new DateOnly(2026, 12, 1), out var from, out var to, out var error));

        Assert.Equal("From must be on or before To.", error);
        Assert.Equal((null, null), (from, to));
    }

    private static DateTime Utc(string text) => DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
}
