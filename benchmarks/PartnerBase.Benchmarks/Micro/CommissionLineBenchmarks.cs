using BenchmarkDotNet.Attributes;
using PartnerBase.Core.Commissions;

namespace PartnerBase.Benchmarks.Micro;

/// <summary>
/// <see cref="Commission.Line"/>: one line, and 1,000 lines of varied amounts and rates (per line), so that the
/// half-to-even branch is taken as often as real data takes it, not never or always.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class CommissionLineBenchmarks
{
    private const int Lines = 1_000;
    private readonly long[] _amounts = new long[Lines];
    private readonly int[] _rates = new int[Lines];
    private long _amount;
    private int _rateBps;

    [GlobalSetup]
    public void Setup()
    {
        _amount = 1_234_567;
        _rateBps = 1_250;
        var random = new Random(42);
        for (var i = 0; i < Lines; i++)
        {
            _amounts[i] = random.NextInt64(1, 10_000_000);
            _rates[i] = random.Next(1, 3_001);
        }
    }

    [Benchmark]
    public long Line() => Commission.Line(_amount, _rateBps);

    [Benchmark(OperationsPerInvoke = Lines)]
    public long LinesOfVariedAmounts()
    {
        long total = 0;
        for (var i = 0; i < Lines; i++)
        {
            total += Commission.Line(_amounts[i], _rates[i]);
        }

        return total;
    }
}
