using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace PartnerBase.Core;

/// <summary>An accounting period: a month (<c>YYYY-MM</c>) or a quarter (<c>YYYY-Qn</c>).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(PeriodJsonConverter))]
public readonly record struct Period
{
    private Period(int year, int firstMonth, int months)
    {
        Year = year;
        FirstMonth = firstMonth;
        Months = months;
    }

    public int Year { get; }

    public int FirstMonth { get; }

    /// <summary>1 for a month, 3 for a quarter.</summary>
    public int Months { get; }

    public bool IsQuarter => Months == 3;

    /// <summary>The first instant of the period, UTC.</summary>
    public DateTimeOffset Start => new(Year, FirstMonth, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The first instant after the period, UTC (exclusive end).</summary>
    public DateTimeOffset End => Start.AddMonths(Months);

    public const int MinYear = 1970;

    // The last year whose every period still has an end (DateTimeOffset stops at 9999-12-31).
    public const int MaxYear = 9998;

    public static Period Month(int year, int month) =>
        year is >= MinYear and <= MaxYear && month is >= 1 and <= 12
            ? new(year, month, 1)
            : throw new ArgumentOutOfRangeException(nameof(month), $"{year:D4}-{month:D2} is not a supported month.");

    public static bool TryParse([NotNullWhen(true)] string? text, out Period period)
    {
        period = default;
        if (text is null || text.Length != 7 || text[4] != '-'
            || !int.TryParse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            || year is < MinYear or > MaxYear)
        {
            return false;
        }

        if (text[5] == 'Q')
        {
            var quarter = text[6] - '0';
            if (quarter is < 1 or > 4)
            {
                return false;
            }

            period = new Period(year, ((quarter - 1) * 3) + 1, 3);
            return true;
        }

        if (!int.TryParse(text.AsSpan(5, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var month) || month is < 1 or > 12)
        {
            return false;
        }

        period = new Period(year, month, 1);
        return true;
    }

    public override string ToString() => IsQuarter
        ? string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-Q{((FirstMonth - 1) / 3) + 1}")
        : string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{FirstMonth:D2}");
}
