using BenchmarkDotNet.Attributes;
using PartnerBase.Core;
using PartnerBase.Core.Payouts;

namespace PartnerBase.Benchmarks.Micro;

/// <summary>One transition of the payout state machine, and the fold of a paid payout's five events.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class PayoutTransitionBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 15, 9, 0, 0, TimeSpan.Zero);
    private readonly Actor _creator = Actor.User("user_creator");
    private readonly Actor _approver = Actor.User("user_approver");
    private Payout _pending = null!;
    private PayoutEvent[] _history = null!;

    [GlobalSetup]
    public void Setup()
    {
        var draft = new PayoutDraft("po_bench", "org_bench", "p00001", new Money(123_456, Currency.Parse("USD")), Period.Month(2026, 10),
            "October referrals", new Dictionary<string, string> { ["campaign"] = "fall" });
        var created = Payout.Create(draft, _creator, Now);
        _pending = created.Payout;

        var updated = _pending.Update(new PayoutChanges(123_789, null, null, "October referrals, corrected", null), _creator, Now.AddMinutes(5)).Value;
        var approved = updated.Payout.Approve(_approver, ApprovalPolicy.Default, Now.AddHours(1)).Value;
        var processing = approved.Payout.MarkProcessing(Actor.System, Now.AddHours(2)).Value;
        var paid = processing.Payout.MarkPaid(Actor.System, "tr_bench", Now.AddHours(3)).Value;
        _history = [created, updated, approved, processing, paid];
    }

    [Benchmark]
    public Outcome<PayoutEvent> Approve() => _pending.Approve(_approver, ApprovalPolicy.Default, Now);

    [Benchmark]
    public Payout? ReplayFiveEvents() => Payout.Replay(_history);
}
