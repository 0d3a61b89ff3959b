using System.Globalization;
using PartnerBase.Core;

namespace PartnerBase.Functions.Notifications;

/// <summary>Amounts as people read them in an email: <c>USD 1,250.00</c>, <c>JPY 1,250</c>, <c>BHD 1.250</c>.</summary>
public static class AmountFormat
{
    /// <summary>The currency code, then the major-unit amount with thousands separators and the currency's decimals (invariant culture).</summary>
    public static string Format(Money money)
    {
        var decimals = money.Currency.DecimalPlaces;
        // Exact: every long divided by a power of ten fits decimal's 28 digits.
        var major = new decimal(money.MinorUnits) / Pow10(decimals);
        return money.Currency.Code + " " + major.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < exponent; i++)
        {
            result *= 10;
        }

        return result;
    }
}
