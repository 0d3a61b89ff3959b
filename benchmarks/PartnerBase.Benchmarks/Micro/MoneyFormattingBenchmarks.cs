using BenchmarkDotNet.Attributes;
using PartnerBase.Core;

namespace PartnerBase.Benchmarks.Micro;

/// <summary><see cref="Money.ToMajorUnitString"/> for a currency of each decimal count in use: 2, 0 and 3.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class MoneyFormattingBenchmarks
{
    private Money _amount;

    // BenchmarkDotNet sets [Params] through a public settable property.
    [Params("USD", "JPY", "BHD")]
    public string CurrencyCode { get; set; } = "USD";

    [GlobalSetup]
    public void Setup() => _amount = new Money(123_456_789, Currency.Parse(CurrencyCode));

    [Benchmark]
    public string ToMajorUnitString() => _amount.ToMajorUnitString();
}
