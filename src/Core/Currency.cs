using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace PartnerBase.Core;

/// <summary>An ISO 4217 currency with the number of decimals of its minor unit.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(CurrencyJsonConverter))]
public readonly record struct Currency
{
    // ISO 4217 active codes grouped by minor-unit exponent. .NET has no ISO 4217 table
    // (RegionInfo knows symbols, not exponents), so this list is kept by hand.
    private const string ZeroDecimals = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
    private const string ThreeDecimals = "BHD IQD JOD KWD LYD OMR TND";
    private const string FourDecimals = "CLF UYW";
    private const string TwoDecimals =
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD " +
        "CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS " +
        "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL " +
        "MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK " +
        "PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS " +
        "TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG";

    private static readonly FrozenDictionary<string, int> Decimals = BuildTable();

    private Currency(string code, int decimals)
    {
        Code = code;
        DecimalPlaces = decimals;
    }

    public string Code { get; }

    public int DecimalPlaces { get; }

    public static bool TryParse([NotNullWhen(true)] string? code, out Currency currency)
    {
        if (code is not null && Decimals.TryGetValue(code, out var decimals))
        {
            currency = new Currency(code, decimals);
            return true;
        }

        currency = default;
        return false;
    }

    public static Currency Parse(string code) =>
        TryParse(code, out var currency) ? currency : throw new FormatException($"'{code}' is not an ISO 4217 currency code.");

    public override string ToString() => Code;

    private static FrozenDictionary<string, int> BuildTable()
    {
        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (codes, decimals) in new[] { (ZeroDecimals, 0), (TwoDecimals, 2), (ThreeDecimals, 3), (FourDecimals, 4) })
        {
            foreach (var code in codes.Split(' '))
            {
                table.Add(code, decimals);
            }
        }

        return table.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
