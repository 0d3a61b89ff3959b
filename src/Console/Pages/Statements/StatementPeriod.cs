using PartnerBase.Core;

namespace PartnerBase.Console.Pages.Statements;

/// <summary>The period typed to generate statements: a month (or a quarter) that has begun, as the API requires.</summary>
public static class StatementPeriod
{
    public const string Hint = "Enter a month like 2026-10 (or a quarter like 2026-Q4).";

    /// <summary>The period in the API's form (<c>2026-Q4</c> for <c>2026-q4</c>), or the message to show beside the field.</summary>
    public static bool TryRead(string? text, DateTimeOffset now, out string period, out string error)
    {
        period = "";
        if (!Period.TryParse(text?.Trim().ToUpperInvariant(), out var parsed))
        {
            error = Hint;
            return false;
        }

        if (parsed.Start > now)
        {
            error = $"{parsed} has not started yet.";
            return false;
        }

        period = parsed.ToString();
        error = "";
        return true;
    }

    /// <summary>The last month before <paramref name="now"/>: what the monthly run settles, so the form's first value.</summary>
    public static string LastMonth(DateTimeOffset now)
    {
        var lastMonth = now.UtcDateTime.AddMonths(-1);
        return Period.Month(lastMonth.Year, lastMonth.Month).ToString();
    }
}
