using Microsoft.Extensions.Time.Testing;
using PartnerBase.Core;
using PartnerBase.Core.Commissions;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Tests.Commissions;

/// <summary>
/// Crash safety of commission runs: a fixed script (run September; import a reversal of a settled attribution and new
/// ones; run October) is interrupted at every one of its writes in turn — before the write reaches the store, and
/// after it landed but before the caller heard back. A restarted instance then retries the step that failed and
/// finishes the script. The store must end exactly as after the uninterrupted script: the same payouts (ids differ
/// between runs, so by content), every attribution settled once, into a payout that exists and counts it, and each
/// payout below the organization's <c>autoApproveBelow</c> approved by the system exactly once (CONTRACT §8).
/// </summary>
public abstract class CommissionRunFaultTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);
    private static readonly Currency Usd = Currency.Parse("USD");
    private static readonly Currency Eur = Currency.Parse("EUR");
    private static readonly Period August = Period.Month(2026, 8);
    private static readonly Period September = Period.Month(2026, 9);
    private static readonly Period October = Period.Month(2026, 10);

    // Longer than the commission lease (60 s): a crashed holder's lease has expired when the restarted instance comes.
    private static readonly TimeSpan Restart = TimeSpan.FromSeconds(61);

    private static readonly AttributionInput Refunded = Won("a01", "p1", 60_000, August);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Every write of the uninterrupted script, each failing before and after it lands.</summary>
    public static TheoryData<int, bool> Cases()
    {
        // Counted on the embedded store: the writes are the service's calls to the port, the same for every store.
        var writes = Task.Run(CountScriptWritesAsync).GetAwaiter().GetResult();
        var data = new TheoryData<int, bool>();
        for (var write = 1; write <= writes; write++)
        {
            data.Add(write, false);
            data.Add(write, true);
        }

        return data;
    }

    protected abstract IPayoutStore CreateStore(TimeProvider time);

    [Fact]
    public async Task Script_Uninterrupted_EndsWithTheHandComputedPayouts()
    {
        var time = new FakeTimeProvider(Now);
        var store = CreateStore(time);
        var orgId = await SetUpAsync(store, time);

        foreach (var step in Script(orgId))
        {
            await step(new CommissionService(store, time));
        }

        var outcome = await OutcomeAsync(store, orgId);
        Assert.Equal(
        [
            new PayoutContent("p1", "EUR", 3_000, 1, September, PayoutStatus.PendingApproval),
            new PayoutContent("p1", "USD", 6_000, 2, October, PayoutStatus.Approved),
            new PayoutContent("p1", "USD", 10_500, 2, September, PayoutStatus.PendingApproval),
            new PayoutContent("p2", "EUR", 3_500, 2, October, PayoutStatus.PendingApproval),
            new PayoutContent("p2", "USD", 5_500, 2, September, PayoutStatus.Approved),
            new PayoutContent("p3", "USD", 7_500, 1, September, PayoutStatus.PendingApproval),
        ], outcome.Payouts);
        Assert.Equal(AttributionState.ReversalSettled, outcome.Attributions["a01"].State);
        Assert.Equal(AttributionState.Void, outcome.Attributions["a09"].State);
        Assert.All(new[] { "a08", "a12" }, id => Assert.Equal(AttributionState.Open, outcome.Attributions[id].State));
    }

    [Theory]
    [MemberData(nameof(Cases), MemberType = typeof(CommissionRunFaultTests))]
    public async Task Script_CrashAtAnyWrite_RetryEndsAsTheUninterruptedScript(int failingWrite, bool afterTheWriteLanded)
    {
        var expected = await UninterruptedOutcomeAsync();
        var time = new FakeTimeProvider(Now);
        var store = CreateStore(time);
        var orgId = await SetUpAsync(store, time);
        var steps = Script(orgId);

        var faulty = new FaultyStore(store, failingWrite, afterTheWriteLanded);
        var failedStep = -1;
        for (var i = 0; i < steps.Count && failedStep < 0; i++)
        {
            try
            {
                await steps[i](new CommissionService(faulty, time));
            }
            catch (IOException) when (faulty.Fired)
            {
                failedStep = i;
            }
        }

        var context = $"write {failingWrite} ({faulty.Writes.ElementAtOrDefault(failingWrite - 1)}) failed {(afterTheWriteLanded ? "after" : "before")} landing, in step {failedStep}";
        Assert.True(failedStep >= 0, $"write {failingWrite} was never reached; the script made {faulty.Writes.Count} writes");

        time.Advance(Restart);
        for (var i = failedStep; i < steps.Count; i++)
        {
            await steps[i](new CommissionService(store, time));
        }

        var actual = await OutcomeAsync(store, orgId);
        Assert.True(expected.Payouts.SequenceEqual(actual.Payouts),
            $"{context}: payouts\n  expected {string.Join(", ", expected.Payouts)}\n  actual   {string.Join(", ", actual.Payouts)}");
        foreach (var (id, attribution) in expected.Attributions)
        {
            Assert.True(attribution == actual.Attributions[id], $"{context}: {id} expected {attribution}, actual {actual.Attributions[id]}");
        }

        var state = await store.GetCommissionStateAsync(orgId, Cancellation);
        Assert.True(state is { Pending: null, LeaseOwner: null }, $"{context}: commission state left as {state}");
    }

    [Fact]
    public async Task DryRun_AfterARunCrashedMidClaims_RefusesUntilARealRunFinishesIt()
    {
        // The crashed run claimed a02 into its planned payout; the next real run finishes that payout (a02 + a07)
        // first. A preview cannot, without writing: it refuses, and after the real run previews are exact again.
        var time = new FakeTimeProvider(Now);
        var store = CreateStore(time);
        var orgId = "org_" + Guid.NewGuid().ToString("N")[..12];
        Assert.True(await store.TryCreatePartnerAsync(new Partner("p1", orgId, "p1", "p1@example.com", 1_000, null, null, Now, Now, 1), Cancellation));
        Assert.True(await store.TrySaveOrganizationAsync(OrganizationSettings.Default(orgId) with { MinimumPayouts = new Dictionary<string, long> { ["USD"] = 5_000 }, Version = 1 }, Cancellation));
        await SucceedAsync(new CommissionService(store, time).IngestAsync(orgId, [Won("a02", "p1", 30_000, September), Won("a07", "p1", 30_000, September)], Cancellation));
        // Writes of a run: take the lease, record the plan, then the first claim.
        var faulty = new FaultyStore(store, failAt: 3, afterTheWriteLanded: true);
        await Assert.ThrowsAsync<IOException>(() => new CommissionService(faulty, time).RunAsync(orgId, September, dryRun: false, Cancellation));
        time.Advance(Restart);

        var refused = await new CommissionService(store, time).RunAsync(orgId, September, dryRun: true, Cancellation);
        var real = (await new CommissionService(store, time).RunAsync(orgId, September, dryRun: false, Cancellation)).Value;
        var after = (await new CommissionService(store, time).RunAsync(orgId, September, dryRun: true, Cancellation)).Value;

        Assert.Equal(FailureCode.Conflict, refused.Failure?.Code);
        Assert.Equal([("p1", 6_000L, 2)], real.Payouts.Select(p => (p.PartnerId, p.Amount, p.AttributionCount)));
        Assert.Empty(after.Payouts);
        Assert.Empty(after.CarriedForward);
    }

    /// <summary>Partners, minimums and the first import: written without faults, before the script.</summary>
    private static async Task<string> SetUpAsync(IPayoutStore store, TimeProvider time)
    {
        var orgId = "org_" + Guid.NewGuid().ToString("N")[..12];
        foreach (var (partnerId, rateBps) in new[] { ("p1", 1_000), ("p2", 2_500), ("p3", 750) })
        {
            Assert.True(await store.TryCreatePartnerAsync(new Partner(partnerId, orgId, partnerId, $"{partnerId}@example.com", rateBps, null, null, Now, Now, 1), Cancellation));
        }

        var minimums = new Dictionary<string, long> { ["USD"] = 5_000, ["EUR"] = 3_000 };
        var policy = ApprovalPolicy.Default with { AutoApproveBelow = new Dictionary<string, long> { ["USD"] = 7_000 } };
        Assert.True(await store.TrySaveOrganizationAsync(OrganizationSettings.Default(orgId) with { MinimumPayouts = minimums, ApprovalPolicy = policy, Version = 1 }, Cancellation));
        var imported = await new CommissionService(store, time).IngestAsync(orgId,
        [
            Refunded,                                  // p1 USD 6000, reversed after September's run
            Won("a02", "p1", 45_005, September),       // p1 USD 4500 (a tie, to even)
            Won("a03", "p1", 30_000, September, Eur),  // p1 EUR 3000, exactly the minimum
            Won("a04", "p2", 12_000, August),          // p2 USD 3000
            Won("a05", "p2", 10_002, September),       // p2 USD 2500 (a tie, to even)
            Won("a06", "p2", 8_000, September, Eur),   // p2 EUR 2000, below the minimum in September
            Won("a07", "p3", 100_000, September),      // p3 USD 7500
            Won("a08", "p3", 20_000, October),         // p3 USD 1500, below the minimum in October
            Won("a09", "p3", 50_000, August, Eur) with { Status = AttributionStatus.Reversed },
        ], Cancellation);
        Assert.True(imported.Succeeded, imported.Failure?.Detail);
        return orgId;
    }

    /// <summary>The steps a client takes; each one, retried after a crash, must be safe to repeat.</summary>
    private static List<Func<CommissionService, Task>> Script(string orgId) =>
    [
        service => SucceedAsync(service.RunAsync(orgId, September, dryRun: false, Cancellation)),
        service => SucceedAsync(service.IngestAsync(orgId,
        [
            Refunded with { Status = AttributionStatus.Reversed },
            Won("a10", "p1", 120_000, October),        // p1 USD 12000, netted with a01's -6000
            Won("a11", "p2", 6_000, October, Eur),     // p2 EUR 1500, with a06 above the minimum
            Won("a12", "p1", 15_000, October, Eur),    // p1 EUR 1500, below the minimum
            Won("a08", "p3", 20_000, October),         // unchanged
        ], Cancellation)),
        service => SucceedAsync(service.RunAsync(orgId, October, dryRun: false, Cancellation)),
    ];

    private static async Task SucceedAsync<T>(Task<Outcome<T>> call)
    {
        var outcome = await call;
        Assert.True(outcome.Succeeded, outcome.Failure?.Detail);
    }

    private static async Task<int> CountScriptWritesAsync()
    {
        var time = new FakeTimeProvider(Now);
        var store = new InMemoryPayoutStore(time);
        var orgId = await SetUpAsync(store, time);
        var counting = new FaultyStore(store);
        foreach (var step in Script(orgId))
        {
            await step(new CommissionService(counting, time));
        }

        return counting.Writes.Count;
    }

    private async Task<ScriptOutcome> UninterruptedOutcomeAsync()
    {
        var time = new FakeTimeProvider(Now);
        var store = CreateStore(time);
        var orgId = await SetUpAsync(store, time);
        foreach (var step in Script(orgId))
        {
            await step(new CommissionService(store, time));
        }

        return await OutcomeAsync(store, orgId);
    }

    /// <summary>
    /// The payouts by content, and each attribution with the content of the payouts it was settled into, after checking
    /// that every settlement names an existing payout whose amount and line count are exactly the lines settled into it.
    /// </summary>
    private static async Task<ScriptOutcome> OutcomeAsync(IPayoutStore store, string orgId)
    {
        var payouts = await store.GetPayoutsAsync(orgId, PayoutFilter.All, cancellationToken: Cancellation).ToListAsync(Cancellation);
        var ids = Enumerable.Range(1, 12).Select(i => $"a{i:D2}").ToList();
        var attributions = await store.GetAttributionsAsync(orgId, ids, Cancellation);
        Assert.Equal(ids.Count, attributions.Count);

        var lines = attributions
            .SelectMany(a => new[] { a.Settlement, a.ReversalSettlement })
            .OfType<Settlement>()
            .ToList();
        Assert.All(lines, line => Assert.Contains(payouts, p => p.Id == line.PayoutId));
        foreach (var payout in payouts)
        {
            var its = lines.Where(line => line.PayoutId == payout.Id).ToList();
            Assert.Equal(payout.LineCount, its.Count);
            Assert.Equal(payout.Amount.MinorUnits, its.Sum(line => line.Commission));
            Assert.Equal((PayoutSource.CommissionRun, Actor.SystemId), (payout.Source, payout.CreatedBy));

            // Created once, and approved by the system once or not at all: never twice, whatever crashed.
            var events = await store.GetPayoutEventsAsync(orgId, payout.Id, cancellationToken: Cancellation);
            List<(PayoutAction, ActorKind)> expected = payout.Status == PayoutStatus.Approved
                ? [(PayoutAction.Create, ActorKind.System), (PayoutAction.Approve, ActorKind.System)]
                : [(PayoutAction.Create, ActorKind.System)];
            Assert.Equal(expected, events.Select(e => (e.Action, e.Actor.Kind)));
        }

        var contents = payouts.ToDictionary(p => p.Id, PayoutContent.Of);
        return new ScriptOutcome(
            contents.Values.OrderBy(p => p.PartnerId, StringComparer.Ordinal).ThenBy(p => p.Currency, StringComparer.Ordinal).ThenBy(p => p.Amount).ToList(),
            attributions.ToDictionary(a => a.Id, a => new AttributionOutcome(
                a.State,
                a.Settlement?.Commission,
                a.Settlement is { } s ? contents[s.PayoutId] : null,
                a.ReversalSettlement?.Commission,
                a.ReversalSettlement is { } r ? contents[r.PayoutId] : null)));
    }

    private static AttributionInput Won(string id, string partnerId, long amount, Period closedIn, Currency? currency = null) =>
        new(id, partnerId, $"deal-{id}", new Money(amount, currency ?? Usd), closedIn.Start.AddDays(13).AddHours(10), AttributionStatus.Won);

    private sealed record ScriptOutcome(IReadOnlyList<PayoutContent> Payouts, IReadOnlyDictionary<string, AttributionOutcome> Attributions);

    private sealed record AttributionOutcome(AttributionState State, long? Commission, PayoutContent? SettledInto, long? ReversalCommission, PayoutContent? ReversedIn);

    /// <summary>What a payout is, without what differs between runs (id, times).</summary>
    private sealed record PayoutContent(string PartnerId, string Currency, long Amount, int? LineCount, Period Period, PayoutStatus Status)
    {
        public static PayoutContent Of(Payout payout) =>
            new(payout.PartnerId, payout.Amount.Currency.Code, payout.Amount.MinorUnits, payout.LineCount, payout.Period, payout.Status);
    }
}
