using System.Globalization;

namespace PartnerBase.Core;

/// <summary>An amount in integer minor units of a currency. There is no floating point anywhere near money.</summary>
public readonly record struct Money(long MinorUnits, Currency Currency)
{
    /// <summary>The largest amount a payout may carry, in minor units (CONTRACT §1).</summary>
    public const long MaxPayoutAmount = 1_000_000_000_000;

    private static readonly long[] PowersOfTen = [1, 10, 100, 1_000, 10_000];

    /// <summary>Formats in major units with the currency's decimals and an invariant '.' separator: 1234.56, 1234 (JPY), 1.234 (BHD).</summary>
    public string ToMajorUnitString()
    {
        var scale = (ulong)PowersOfTen[Currency.DecimalPlaces];
        // Unsigned magnitude: Math.Abs(long.MinValue) would overflow.
        var magnitude = MinorUnits < 0 ? (ulong)(-(MinorUnits + 1)) + 1 : (ulong)MinorUnits;
        var whole = magnitude / scale;
        var fraction = magnitude % scale;
        var sign = MinorUnits < 0 ? "-" : "";
        return Currency.DecimalPlaces == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{sign}{whole}")
            : string.Create(CultureInfo.InvariantCulture, $"{sign}{whole}.{fraction.ToString(new string('0', Currency.DecimalPlaces), CultureInfo.InvariantCulture)}");
    }

    public override string ToString() => $"{ToMajorUnitString()} {Currency.Code}";
}
