using System.Globalization;
using PartnerBase.Console.Api;
using IssueKind = PartnerBase.Core.Reconciliation.IssueKind;

namespace PartnerBase.Console.Pages.Reconciliation;

/// <summary>A reconciliation run as a person reads it: its window in days, its issues in words and amounts.</summary>
public static class ReconciliationText
{
    public static string Kind(IssueKind kind) => kind switch
    {
        IssueKind.MissingTransfer => "Missing transfer",
        IssueKind.UnknownTransfer => "Unknown transfer",
        IssueKind.AmountMismatch => "Amount mismatch",
        IssueKind.CurrencyMismatch => "Currency mismatch",
        IssueKind.ReversedTransfer => "Reversed transfer",
        IssueKind.StuckProcessing => "Stuck in processing",
        _ => kind.ToString(),
    };

    /// <summary>What the issue means for finance, one sentence.</summary>
    public static string Explain(IssueKind kind) => kind switch
    {
        IssueKind.MissingTransfer => "The payout was paid through the provider, which has no such transfer.",
        IssueKind.UnknownTransfer => "The provider made a transfer that pays none of the payouts paid through it.",
        IssueKind.AmountMismatch => "The transfer's amount differs from the payout's.",
        IssueKind.CurrencyMismatch => "The transfer's currency differs from the payout's.",
        IssueKind.ReversedTransfer => "The provider reversed the transfer that paid the payout.",
        IssueKind.StuckProcessing => "The payout has been processing for more than a day.",
        _ => "",
    };

    /// <summary>
    /// An issue's expected or actual value: an amount mismatch's minor units as money when the payout's currency is
    /// known (else the bare number, said to be minor units), a currency as its code, nothing as a dash.
    /// </summary>
    public static string Value(ReconciliationIssue issue, string? value, string? currency, CultureInfo culture)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "—";
        }

        if (issue.Kind == IssueKind.AmountMismatch && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var minorUnits))
        {
            return currency is null ? $"{value} (minor units)" : PartnerBase.Console.Amounts.Amounts.Format(minorUnits, currency, culture);
        }

        return value;
    }

    /// <summary>
    /// The run's window. Whole UTC days (a date range from the form, or the daily timer's day) read as the days they
    /// cover, the last one included: <c>11/1/2026 – 11/30/2026</c>, or one day alone; any other window as its two
    /// moments in the reader's time.
    /// </summary>
    public static string Window(DateTime from, DateTime to, CultureInfo culture)
    {
        from = DateTime.SpecifyKind(from, DateTimeKind.Utc);
        to = DateTime.SpecifyKind(to, DateTimeKind.Utc);
        if (from.TimeOfDay == TimeSpan.Zero && to.TimeOfDay == TimeSpan.Zero && to > from)
        {
            var last = to.AddDays(-1);
            return last == from
                ? from.ToString("d", culture)
                : $"{from.ToString("d", culture)} – {last.ToString("d", culture)}";
        }

        return $"{from.ToLocalTime().ToString("g", culture)} – {to.ToLocalTime().ToString("g", culture)}";
    }

    /// <summary>
    /// The form's window as the API takes it: From as its date (00:00 UTC); To, a day the person means to include, as
    /// the next day (the API's <c>to</c> is exclusive). Either may be empty (the API's defaults); From after To is refused.
    /// </summary>
    public static bool TryReadWindow(DateOnly? fromDate, DateOnly? toDate, out string? from, out string? to, out string? fromError)
    {
        from = to = null;
        if (fromDate is { } start && toDate is { } end && start > end)
        {
            fromError = "From must be on or before To.";
            return false;
        }

        fromError = null;
        from = fromDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        to = toDate?.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return true;
    }
}
