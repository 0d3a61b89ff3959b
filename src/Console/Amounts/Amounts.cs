using System.Globalization;
using System.Numerics;
using PartnerBase.Core;

namespace PartnerBase.Console.Amounts;

/// <summary>
/// Amounts between what a person reads and types (major units, in their culture) and what the API takes (integer
/// minor units, CONTRACT §1). Both directions work on digits, never on floating point; the decimals of each currency
/// come from PartnerBase.Core's ISO 4217 table, as in the API.
/// </summary>
public static class Amounts
{
    // Symbols a reader recognises; any other currency is shown by its code. .NET maps a culture to its own currency's
    // symbol only, so the common ones are listed here.
    private static readonly Dictionary<string, string> Symbols = new(StringComparer.Ordinal)
    {
        ["USD"] = "$", ["EUR"] = "€", ["GBP"] = "£", ["JPY"] = "¥", ["CNY"] = "CN¥", ["INR"] = "₹", ["KRW"] = "₩",
        ["CAD"] = "CA$", ["AUD"] = "A$", ["NZD"] = "NZ$", ["MXN"] = "MX$", ["BRL"] = "R$", ["CHF"] = "CHF",
        ["ILS"] = "₪", ["VND"] = "₫", ["PHP"] = "₱", ["TRY"] = "₺", ["UAH"] = "₴", ["NGN"] = "₦",
    };

    /// <summary>E.g. 2200000 USD → <c>$22,000.00</c> in en-US, <c>22.000,00 $</c> in de-DE; 1250 JPY → <c>¥1,250</c>.</summary>
    public static string Format(long minorUnits, string currencyCode, CultureInfo culture)
    {
        var decimals = Currency.TryParse(currencyCode, out var currency) ? currency.DecimalPlaces : 2;
        var format = (NumberFormatInfo)culture.NumberFormat.Clone();
        format.CurrencySymbol = SymbolFor(currencyCode, culture);
        format.CurrencyDecimalDigits = decimals;
        return ToDecimal(minorUnits, decimals).ToString("C", format);
    }

    /// <summary>The currency's symbol in this culture: the culture's own for its own currency, else a known one, else the code.</summary>
    public static string SymbolFor(string currencyCode, CultureInfo culture) =>
        SymbolCache.GetOrAdd((currencyCode, culture.Name), key => FindSymbol(key.Currency, culture));

    // RegionInfo is built from ICU data: once per currency and culture, not once per amount on the page.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Currency, string Culture), string> SymbolCache = new();

    private static string FindSymbol(string currencyCode, CultureInfo culture)
    {
        if (!culture.IsNeutralCulture && culture.Name.Length > 0)
        {
            try
            {
                if (new RegionInfo(culture.Name).ISOCurrencySymbol == currencyCode)
                {
                    return culture.NumberFormat.CurrencySymbol;
                }
            }
            catch (ArgumentException)
            {
                // A culture without a region: fall through to the table.
            }
        }

        return Symbols.TryGetValue(currencyCode, out var symbol) ? symbol : currencyCode;
    }

    /// <summary>
    /// Reads an amount typed in major units (<c>1,250.00</c>, <c>1250</c>, <c>1.250,5</c> in de-DE) as minor units of
    /// the currency. Refuses more decimals than the currency has (JPY has none), signs, exponents and anything else.
    /// </summary>
    public static bool TryParse(string? text, string currencyCode, CultureInfo culture, out long minorUnits, out string error)
    {
        minorUnits = 0;
        if (!Currency.TryParse(currencyCode, out var currency))
        {
            error = "Choose a currency first.";
            return false;
        }

        var trimmed = (text ?? "").Trim();
        var symbol = SymbolFor(currencyCode, culture);
        if (trimmed.StartsWith(symbol, StringComparison.Ordinal))
        {
            trimmed = trimmed[symbol.Length..].TrimStart();
        }

        if (trimmed.Length == 0)
        {
            error = "Enter an amount.";
            return false;
        }

        var decimalSeparator = culture.NumberFormat.NumberDecimalSeparator;
        var groupSeparator = culture.NumberFormat.NumberGroupSeparator;
        var parts = trimmed.Split(decimalSeparator);
        var whole = parts[0].Replace(groupSeparator, "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).Replace("\u00a0", "", StringComparison.Ordinal).Replace("\u202f", "", StringComparison.Ordinal);
        var fraction = parts.Length == 2 ? parts[1] : "";
        if (parts.Length > 2 || whole.Length == 0 || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit))
        {
            error = $"Enter an amount like {Example(currency, culture)}.";
            return false;
        }

        if (fraction.Length > currency.DecimalPlaces)
        {
            error = currency.DecimalPlaces == 0
                ? $"{currency.Code} has no decimals."
                : $"{currency.Code} has {currency.DecimalPlaces} decimals at most.";
            return false;
        }

        var value = BigInteger.Parse(whole + fraction.PadRight(currency.DecimalPlaces, '0'), CultureInfo.InvariantCulture);
        if (value <= 0 || value > Core.Money.MaxPayoutAmount)
        {
            error = value <= 0 ? "Enter an amount above zero." : "The amount is too large.";
            return false;
        }

        minorUnits = (long)value;
        error = "";
        return true;
    }

    private static string Example(Currency currency, CultureInfo culture) =>
        ToDecimal(125_000 * Pow10(currency.DecimalPlaces) / 100, currency.DecimalPlaces).ToString(currency.DecimalPlaces == 0 ? "N0" : "N" + currency.DecimalPlaces.ToString(CultureInfo.InvariantCulture), culture);

    // decimal holds every amount the API allows (up to 10^12 minor units) exactly: it is scaled integer arithmetic.
    private static decimal ToDecimal(long minorUnits, int decimals)
    {
        var magnitude = (ulong)Math.Abs(minorUnits);
        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), 0, minorUnits < 0, (byte)decimals);
    }

    private static long Pow10(int exponent)
    {
        long result = 1;
        for (var i = 0; i < exponent; i++)
        {
            result *= 10;
        }

        return result;
    }
}
