using BenchmarkDotNet.Running;

namespace PartnerBase.Benchmarks.Micro;

/// <summary>
/// <c>-- micro [BenchmarkDotNet arguments]</c>: the domain's hot paths under BenchmarkDotNet (short job, memory
/// diagnoser). Needs a Release build; BenchmarkDotNet refuses a non-optimized one.
/// </summary>
public static class MicroBenchmarks
{
    private static readonly Type[] Suites =
    [
        typeof(PayoutTransitionBenchmarks),
        typeof(MoneyFormattingBenchmarks),
        typeof(PayoutExportBenchmarks),
        typeof(CommissionLineBenchmarks),
    ];

    public static int Run(string[] args)
    {
        // Without a filter BenchmarkSwitcher asks on standard input which suite to run; CI has none, so run them all.
        var hasFilter = args.Any(arg => arg is "--filter" or "-f" || arg.StartsWith("--filter=", StringComparison.Ordinal));
        var summaries = BenchmarkSwitcher.FromTypes(Suites).Run(hasFilter ? args : [.. args, "--filter", "*"]);
        var failed = !summaries.Any() || summaries.Any(summary => summary.HasCriticalValidationErrors || summary.Reports.Any(report => !report.Success));
        return failed ? 1 : 0;
    }
}
