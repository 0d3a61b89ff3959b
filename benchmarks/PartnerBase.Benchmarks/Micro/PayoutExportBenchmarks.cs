using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using PartnerBase.Core;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Functions.Payouts;

namespace PartnerBase.Benchmarks.Micro;

/// <summary>
/// The CSV export's writer over 1,000 payouts of 50 partners into a reused MemoryStream; reported per row.
/// Mixed statuses, and notes that need quoting or formula escaping, as an export meets them.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet ends a benchmark instance with its [GlobalCleanup], which disposes the stream; it never calls Dispose.")]
public class PayoutExportBenchmarks
{
    private const int Rows = 1_000;
    private const int Partners = 50;
    private static readonly DateTimeOffset Now = new(2026, 11, 15, 9, 0, 0, TimeSpan.Zero);
    private readonly Dictionary<string, Partner> _partners = new(StringComparer.Ordinal);
    private readonly MemoryStream _body = new();
    private Payout[] _payouts = null!;

    [GlobalSetup]
    public void Setup()
    {
        var usd = Currency.Parse("USD");
        for (var p = 0; p < Partners; p++)
        {
            var id = PartnerId(p);
            _partners[id] = new Partner(id, "org_bench", $"Partner {p}, Inc.", "p@example.com", 1_000, usd, null, Now, Now, 1);
        }

        var creator = Actor.User("user_creator");
        var approver = Actor.User("user_approver");
        _payouts = new Payout[Rows];
        for (var i = 0; i < Rows; i++)
        {
            var notes = (i % 4) switch
            {
                0 => null,
                1 => "October referrals",
                2 => "Referrals, \"enterprise\" tier",
                _ => "=HYPERLINK(\"x\")",
            };
            var draft = new PayoutDraft(string.Create(CultureInfo.InvariantCulture, $"po_{i:D6}"), "org_bench", PartnerId(i % Partners),
                new Money(10_000 + (i * 37), usd), Period.Month(2026, 10), notes, null);
            var payout = Payout.Create(draft, creator, Now).Payout;
            if (i % 3 != 0)
            {
                payout = payout.Approve(approver, ApprovalPolicy.Default, Now.AddHours(1)).Value.Payout;
            }

            if (i % 3 == 2)
            {
                payout = payout.MarkPaid(Actor.System, string.Create(CultureInfo.InvariantCulture, $"tr_{i:D6}"), Now.AddHours(2)).Value.Payout;
            }

            _payouts[i] = payout;
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _body.Dispose();

    [Benchmark(OperationsPerInvoke = Rows)]
    public async Task<long> WriteRows()
    {
        // Keeps the buffer's capacity: what is measured is the writer, not the stream growing.
        _body.SetLength(0);
        await PayoutExport.WriteAsync(_body, _payouts.ToAsyncEnumerable(), GetPartnersAsync);
        return _body.Length;
    }

    private Task<IReadOnlyList<Partner>> GetPartnersAsync(IReadOnlyCollection<string> ids) =>
        Task.FromResult<IReadOnlyList<Partner>>([.. ids.Select(id => _partners[id])]);

    private static string PartnerId(int p) => string.Create(CultureInfo.InvariantCulture, $"p{p:D5}");
}
