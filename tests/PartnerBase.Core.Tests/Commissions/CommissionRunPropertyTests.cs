using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using PartnerBase.Core.Commissions;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Statements;
using PartnerBase.Core.Storage;

namespace PartnerBase.Core.Tests.Commissions;

/// <summary>
/// Random attributions (arriving between runs, some reversed before and some after they were settled) and random
/// sequences of runs over the embedded store, under a random holding period and automatic approval threshold
/// (CONTRACT §8). An attribution is due for P when it closed before the end of P and its hold (closedAt + holdDays)
/// ends at or before the end of P. After every run, with P its period and g any partner and currency:
/// <list type="number">
/// <item>Conservation: the amounts of all payouts created so far for g, plus what this run carried forward for g (0 if
/// nothing), equal the sum of Commission.Line(amount, rate) over g's attributions that are won (never reversed) and
/// due for P. Each reversal of a settled line is a negative line, so a settled-then-reversed
/// attribution nets to 0 on the left and is absent on the right; one reversed before settlement is on neither side.</item>
/// <item>Each payout's amount is the sum of the settlement commissions naming it and its line count their number; every
/// settlement names an existing payout; a positive line is Commission.Line at the partner's rate, a reversal line
/// exactly minus the settled one.</item>
/// <item>No attribution is settled twice: once set, a settlement (and a reversal settlement) never changes.</item>
/// <item>Attributions reversed before they were settled are never in a payout.</item>
/// <item>The run pays exactly the groups whose total is positive and at least the minimum, leaving none of their due
/// lines behind, and carries the others forward; a dry run just before previews it exactly.</item>
/// <item>Held: the run's <c>held</c> for g is the commission of g's unsettled won attributions that closed before the
/// end of P but are still in their hold, with their count and the earliest end of hold; the dry run shows the same.</item>
/// <item>A payout the run creates is approved by the system exactly when it is below g's automatic approval
/// threshold, and pending otherwise.</item>
/// <item>Statements (CONTRACT §10) of P made right after the run show the run's figures: every payout of P once, a
/// run payout's lines summing to its amount in its line count, and per g the run's held commission (sum, count,
/// earliest end of hold) and carried-forward amount.</item>
/// </list>
/// </summary>
public class CommissionRunPropertyTests
{
    private const string OrgId = "org_property";

    // After every period drawn, so every run is allowed.
    private static readonly DateTimeOffset Now = new(2027, 1, 15, 9, 0, 0, TimeSpan.Zero);

    private static readonly Currency[] Currencies = [Currency.Parse("USD"), Currency.Parse("EUR"), Currency.Parse("JPY")];

    private static readonly long[] Minimums = [0, 0, 1_000, 1_000_000, 50_000_000];

    private static readonly long[] AutoApproveThresholds = [0, 0, 1_000_000, 20_000_000];

    // In order of their ends (the quarter ends with September).
    private static readonly Period[] Periods =
    [
        Period.Month(2026, 6), Period.Month(2026, 7), Period.Month(2026, 8),
        ThirdQuarter(), Period.Month(2026, 9), Period.Month(2026, 10),
    ];

    private static Period ThirdQuarter() => Period.TryParse("2026-Q3", out var quarter) ? quarter : throw new InvalidOperationException("2026-Q3 does not parse.");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Property(MaxTest = 300)]
    public Property Run_RandomAttributionsAndRuns_PayEveryDueLineExactlyOnce() =>
        Prop.ForAll(Scenarios(), CheckAsync);

    private static async Task CheckAsync(Scenario scenario)
    {
        var time = new FakeTimeProvider(Now);
        var store = new InMemoryPayoutStore(time);
        var service = new CommissionService(store, time);
        for (var p = 0; p < scenario.Rates.Length; p++)
        {
            Assert.True(await store.TryCreatePartnerAsync(new Partner($"p{p}", OrgId, $"p{p}", $"p{p}@example.com", scenario.Rates[p], null, null, Now, Now, 1), Cancellation));
        }

        var minimums = Currencies.Select((c, i) => (c.Code, scenario.Minimums[i])).Where(m => m.Item2 > 0).ToDictionary(m => m.Code, m => m.Item2);
        var autoApproveBelow = Currencies.Select((c, i) => (c.Code, scenario.AutoApproveBelow[i])).Where(m => m.Item2 > 0).ToDictionary(m => m.Code, m => m.Item2);
        var settings = OrganizationSettings.Default(OrgId) with
        {
            MinimumPayouts = minimums,
            HoldDays = scenario.HoldDays,
            ApprovalPolicy = ApprovalPolicy.Default with { AutoApproveBelow = autoApproveBelow },
            Version = 1,
        };
        Assert.True(await store.TrySaveOrganizationAsync(settings, Cancellation));

        var all = scenario.Attributions.Select((spec, i) => (Id: $"a{i:D2}", Spec: spec, Input: Input($"a{i:D2}", spec, scenario.Rates.Length))).ToList();
        int RateOf(AttributionInput input) => scenario.Rates[int.Parse(input.PartnerId.AsSpan(1), CultureInfo.InvariantCulture)];
        var ids = all.Select(a => a.Id).ToList();
        var arrived = new HashSet<string>(StringComparer.Ordinal);
        var reversed = new HashSet<string>(StringComparer.Ordinal);
        var voided = new HashSet<string>(StringComparer.Ordinal);
        var settlements = new Dictionary<string, Settlement>(StringComparer.Ordinal);
        var reversals = new Dictionary<string, Settlement>(StringComparer.Ordinal);

        for (var run = 0; run < scenario.Runs.Length; run++)
        {
            var period = Periods[scenario.Runs[run]];
            var arriving = all.Where(a => ArrivesBefore(a.Spec, scenario) == run).ToList();
            if (arriving.Count > 0)
            {
                var ingested = await service.IngestAsync(OrgId, arriving.Select(a => a.Input).ToList(), Cancellation);
                Assert.Equal(new IngestResult(arriving.Count, 0, 0), ingested.Value);
                arrived.UnionWith(arriving.Select(a => a.Id));
            }

            var reversing = all.Where(a => ReversedBefore(a.Spec, scenario) == run).ToList();
            if (reversing.Count > 0)
            {
                var current = await store.GetAttributionsAsync(OrgId, reversing.Select(a => a.Id).ToList(), Cancellation);
                voided.UnionWith(current.Where(a => a.Settlement is null).Select(a => a.Id));
                var ingested = await service.IngestAsync(OrgId, reversing.Select(a => a.Input with { Status = AttributionStatus.Reversed }).ToList(), Cancellation);
                Assert.Equal(new IngestResult(0, reversing.Count, 0), ingested.Value);
                reversed.UnionWith(reversing.Select(a => a.Id));
            }

            var payoutsBefore = await PayoutsAsync(store);
            var preview = (await service.RunAsync(OrgId, period, dryRun: true, Cancellation)).Value;
            Assert.Equal(payoutsBefore.Count, (await PayoutsAsync(store)).Count);
            var result = (await service.RunAsync(OrgId, period, dryRun: false, Cancellation)).Value;
            var at = $"run {run + 1} ({period})";

            Assert.Equal(
                preview.Payouts.Select(p => (p.PartnerId, p.Currency.Code, p.Amount, p.AttributionCount)).Order(),
                result.Payouts.Select(p => (p.PartnerId, p.Currency.Code, p.Amount, p.AttributionCount)).Order());
            Assert.Equal(preview.CarriedForward.OrderBy(c => (c.PartnerId, c.Currency.Code)), result.CarriedForward.OrderBy(c => (c.PartnerId, c.Currency.Code)));
            Assert.Equal(preview.Held, result.Held);

            var payouts = await PayoutsAsync(store);
            var attributions = (await store.GetAttributionsAsync(OrgId, ids, Cancellation)).ToDictionary(a => a.Id, StringComparer.Ordinal);
            Assert.Equal(arrived.Count, attributions.Count);

            // This run's payouts are exactly the ones it reports, for its period.
            var created = payouts.Where(p => !payoutsBefore.Any(b => b.Id == p.Id)).ToList();
            Assert.Equal(result.Payouts.Select(p => p.PayoutId).Order(StringComparer.Ordinal), created.Select(p => p.Id).Order(StringComparer.Ordinal));
            foreach (var payout in created)
            {
                var reported = result.Payouts.Single(p => p.PayoutId == payout.Id);
                Assert.Equal((reported.PartnerId, reported.Currency, reported.Amount, reported.AttributionCount), (payout.PartnerId, payout.Amount.Currency, payout.Amount.MinorUnits, payout.LineCount ?? -1));
                var automatic = payout.Amount.MinorUnits < autoApproveBelow.GetValueOrDefault(payout.Amount.Currency.Code);
                Assert.Equal((period, PayoutSource.CommissionRun), (payout.Period, payout.Source));
                Assert.Equal(automatic ? (PayoutStatus.Approved, 2L, Actor.SystemId) : (PayoutStatus.PendingApproval, 1L, null), (payout.Status, payout.Version, payout.ApprovedBy));
                Assert.True(payout.Amount.MinorUnits > 0 && payout.Amount.MinorUnits >= minimums.GetValueOrDefault(payout.Amount.Currency.Code), $"{at}: {payout.Id} pays {payout.Amount} below the minimum");
            }

            foreach (var carried in result.CarriedForward)
            {
                Assert.True(carried.Amount <= 0 || carried.Amount < minimums.GetValueOrDefault(carried.Currency.Code), $"{at}: carried forward {carried} although it is payable");
                Assert.DoesNotContain(result.Payouts, p => p.PartnerId == carried.PartnerId && p.Currency == carried.Currency);
            }

            // 1. Conservation, per partner and currency.
            bool Held(AttributionInput input) => input.ClosedAt.AddDays(scenario.HoldDays) > period.End;
            var owed = all
                .Where(a => arrived.Contains(a.Id) && !reversed.Contains(a.Id) && a.Input.ClosedAt < period.End && !Held(a.Input))
                .GroupBy(a => (a.Input.PartnerId, a.Input.AttributedAmount.Currency))
                .ToDictionary(g => g.Key, g => g.Sum(a => Commission.Line(a.Input.AttributedAmount.MinorUnits, RateOf(a.Input))));
            var paid = payouts.GroupBy(p => (p.PartnerId, p.Amount.Currency)).ToDictionary(g => g.Key, g => g.Sum(p => p.Amount.MinorUnits));
            var carriedForward = result.CarriedForward.ToDictionary(c => (c.PartnerId, c.Currency), c => c.Amount);
            foreach (var group in owed.Keys.Union(paid.Keys).Union(carriedForward.Keys))
            {
                Assert.True(paid.GetValueOrDefault(group) + carriedForward.GetValueOrDefault(group) == owed.GetValueOrDefault(group),
                    $"{at}: {group.PartnerId} {group.Currency} paid {paid.GetValueOrDefault(group)} + carried {carriedForward.GetValueOrDefault(group)} != owed {owed.GetValueOrDefault(group)}");
            }

            // 6. Held: young won lines that nothing has settled yet (a held line never was: its hold ends later still).
            var expectedHeld = all
                .Where(a => arrived.Contains(a.Id) && !reversed.Contains(a.Id) && a.Input.ClosedAt < period.End && Held(a.Input))
                .GroupBy(a => (a.Input.PartnerId, a.Input.AttributedAmount.Currency))
                .OrderBy(g => g.Key.PartnerId, StringComparer.Ordinal).ThenBy(g => g.Key.Currency.Code, StringComparer.Ordinal)
                .Select(g => new HeldCommission(
                    g.Key.PartnerId,
                    g.Key.Currency,
                    g.Sum(a => Commission.Line(a.Input.AttributedAmount.MinorUnits, RateOf(a.Input))),
                    g.Count(),
                    g.Min(a => a.Input.ClosedAt).AddDays(scenario.HoldDays)))
                .ToList();
            Assert.Equal(expectedHeld, result.Held);

            // 8. The period's statements show the run's figures.
            await CheckStatementsAsync(store, period, result, at);

            // 2. Payouts are their lines; lines are the commissions.
            var lines = attributions.Values
                .SelectMany(a => new[] { a.Settlement, a.ReversalSettlement })
                .OfType<Settlement>()
                .ToList();
            Assert.All(lines, line => Assert.Contains(payouts, p => p.Id == line.PayoutId));
            foreach (var payout in payouts)
            {
                var its = lines.Where(line => line.PayoutId == payout.Id).ToList();
                Assert.True(payout.Amount.MinorUnits == its.Sum(line => line.Commission) && payout.LineCount == its.Count,
                    $"{at}: {payout.Id} is {payout.Amount} in {payout.LineCount} lines, but its lines are {its.Sum(line => line.Commission)} in {its.Count}");
            }

            foreach (var (id, _, input) in all.Where(a => arrived.Contains(a.Id)))
            {
                var attribution = attributions[id];
                if (attribution.Settlement is { } settlement)
                {
                    Assert.Equal(Commission.Line(input.AttributedAmount.MinorUnits, RateOf(input)), settlement.Commission);
                    // 3. Settled once: a settlement, once made, never moves.
                    Assert.Equal(settlements.GetValueOrDefault(id, settlement), settlement);
                    settlements[id] = settlement;
                }
                else
                {
                    Assert.False(settlements.ContainsKey(id), $"{at}: {id} lost its settlement");
                }

                if (attribution.ReversalSettlement is { } reversal)
                {
                    Assert.Equal(-attribution.Settlement!.Commission, reversal.Commission);
                    Assert.NotEqual(attribution.Settlement.PayoutId, reversal.PayoutId);
                    Assert.Equal(reversals.GetValueOrDefault(id, reversal), reversal);
                    reversals[id] = reversal;
                }
                else
                {
                    Assert.False(reversals.ContainsKey(id), $"{at}: {id} lost its reversal settlement");
                }

                // 4. Reversed before settlement: never paid.
                if (voided.Contains(id))
                {
                    Assert.Equal(AttributionState.Void, attribution.State);
                    Assert.Null(attribution.Settlement);
                }

                // 5. Nothing due is left behind in a group this run paid.
                if (attribution.IsDueBy(period.End) && !attribution.IsHeldAt(period.End, scenario.HoldDays))
                {
                    Assert.DoesNotContain(result.Payouts, p => p.PartnerId == input.PartnerId && p.Currency == input.AttributedAmount.Currency);
                }
            }
        }
    }

    private static async Task CheckStatementsAsync(IPayoutStore store, Period period, CommissionRunResult result, string at)
    {
        var statements = await new StatementBuilder(store).BuildAsync(OrgId, period, Now, Cancellation).ToListAsync(Cancellation);
        var ofPeriod = (await PayoutsAsync(store)).Where(p => p.Period == period).ToDictionary(p => p.Id, StringComparer.Ordinal);
        var shown = statements.SelectMany(s => s.Currencies.SelectMany(c => c.Payouts.Select(p => (s.Partner.Id, c.Currency, Payout: p)))).ToList();
        Assert.Equal(ofPeriod.Keys.Order(StringComparer.Ordinal), shown.Select(p => p.Payout.Id).Order(StringComparer.Ordinal));
        foreach (var (partnerId, currency, payout) in shown)
        {
            var stored = ofPeriod[payout.Id];
            Assert.Equal((stored.PartnerId, stored.Amount.Currency, stored.Amount.MinorUnits, stored.Status), (partnerId, currency, payout.Amount, payout.Status));
            if (stored.Source == PayoutSource.CommissionRun)
            {
                Assert.True(payout.Lines.Sum(l => l.Commission) == payout.Amount && payout.Lines.Count == stored.LineCount,
                    $"{at}: statement lines of {payout.Id} sum to {payout.Lines.Sum(l => l.Commission)} in {payout.Lines.Count}, the payout is {payout.Amount} in {stored.LineCount}");
            }
        }

        var sections = statements.SelectMany(s => s.Currencies.Select(c => (Key: (s.Partner.Id, c.Currency), Section: c))).ToDictionary(x => x.Key, x => x.Section);
        foreach (var held in result.Held)
        {
            var section = sections[(held.PartnerId, held.Currency)];
            Assert.Equal((held.Amount, held.AttributionCount, held.PayableFrom), (section.Held.Sum(h => h.Commission), section.Held.Count, section.Held.Min(h => h.PayableFrom)));
        }

        foreach (var ((partnerId, currency), section) in sections)
        {
            Assert.True(result.Held.Any(h => h.PartnerId == partnerId && h.Currency == currency) || section.Held.Count == 0, $"{at}: {partnerId} {currency} shows held commission the run did not hold");
            var carried = result.CarriedForward.SingleOrDefault(c => c.PartnerId == partnerId && c.Currency == currency)?.Amount ?? 0;
            Assert.True(carried == section.CarriedForward, $"{at}: {partnerId} {currency} statement carries {section.CarriedForward}, the run carried {carried}");
        }

        Assert.All(result.CarriedForward, c => Assert.True(sections.ContainsKey((c.PartnerId, c.Currency)), $"{at}: no statement shows {c}"));
    }

    private static async Task<List<Payout>> PayoutsAsync(IPayoutStore store) =>
        await store.GetPayoutsAsync(OrgId, PayoutFilter.All, cancellationToken: Cancellation).ToListAsync(Cancellation);

    private static AttributionInput Input(string id, AttributionSpec spec, int partners)
    {
        var month = Period.Month(2026, spec.Month);
        var closedAt = spec.Moment switch
        {
            0 => month.Start,
            1 => month.End.AddTicks(-1),
            var minutes => month.Start.AddMinutes(minutes % (int)(month.End - month.Start).TotalMinutes),
        };
        return new AttributionInput(id, $"p{spec.Partner % partners}", $"deal-{id}", new Money(spec.Amount, Currencies[spec.Currency]), closedAt, AttributionStatus.Won);
    }

    private static int ArrivesBefore(AttributionSpec spec, Scenario scenario) => Math.Min(spec.ArrivesBefore, scenario.Runs.Length - 1);

    private static int? ReversedBefore(AttributionSpec spec, Scenario scenario) =>
        spec.ReversedBefore is { } run ? Math.Max(ArrivesBefore(spec, scenario), Math.Min(run, scenario.Runs.Length - 1)) : null;

    private static Arbitrary<Scenario> Scenarios()
    {
        var attribution =
            from partner in Gen.Choose(0, 3)
            from amount in Gen.Frequency((3, Gen.Choose(1, 1_000_000_000)), (1, Gen.Choose(1, 100_000)))
            from currency in Gen.Choose(0, Currencies.Length - 1)
            from month in Gen.Choose(5, 10)
            from moment in Gen.Frequency((1, Gen.Constant(0)), (1, Gen.Constant(1)), (4, Gen.Choose(2, 50_000)))
            from arrives in Gen.Frequency((3, Gen.Constant(0)), (2, Gen.Choose(0, 5)))
            from reversedBefore in Gen.Frequency((3, Gen.Constant<int?>(null)), (1, Gen.Choose(0, 5).Select(run => (int?)run)))
            select new AttributionSpec(partner, amount, currency, month, moment, arrives, reversedBefore);

        var scenario =
            from partners in Gen.Choose(1, 4)
            from rates in Gen.ArrayOf(Gen.Frequency((1, Gen.Elements(0, 10_000, 1_000, 5_000)), (3, Gen.Choose(0, 10_000))), partners)
            from minimums in Gen.ArrayOf(Gen.Elements(Minimums), Currencies.Length)
            from autoApproveBelow in Gen.ArrayOf(Gen.Elements(AutoApproveThresholds), Currencies.Length)
            from holdDays in Gen.Elements(0, 0, 1, 15, 30, 45, 100)
            from count in Gen.Choose(1, 40)
            from attributions in Gen.ArrayOf(attribution, count)
            from runCount in Gen.Choose(1, 6)
            from runs in Gen.ArrayOf(Gen.Choose(0, Periods.Length - 1), runCount)
            select new Scenario(rates, minimums, autoApproveBelow, holdDays, attributions, runs.Order().ToArray());

        return Arb.From(scenario, Shrink);
    }

    // Dropping one attribution or the last run at a time gets a failing scenario down to the parts that matter.
    private static IEnumerable<Scenario> Shrink(Scenario scenario) =>
        Enumerable.Range(0, scenario.Attributions.Length)
            .Where(_ => scenario.Attributions.Length > 1)
            .Select(skip => scenario with { Attributions = scenario.Attributions.Where((_, i) => i != skip).ToArray() })
            .Concat(Enumerable.Repeat(scenario, scenario.Runs.Length > 1 ? 1 : 0).Select(s => s with { Runs = s.Runs[..^1] }));

    /// <summary>
    /// One attribution: its partner (index), amount, currency (index), the month it closed in and where in it
    /// (0 = its first instant, 1 = its last tick, else that many minutes in), the run it arrives before, and the run it
    /// is reversed before, if any (clamped to the runs there are, and not before it arrives).
    /// </summary>
    public sealed record AttributionSpec(int Partner, long Amount, int Currency, int Month, int Moment, int ArrivesBefore, int? ReversedBefore);

    public sealed record Scenario(int[] Rates, long[] Minimums, long[] AutoApproveBelow, int HoldDays, AttributionSpec[] Attributions, int[] Runs)
    {
        // FsCheck prints counterexamples with ToString; the default would show "Int32[]".
        public override string ToString() =>
            $"Scenario {{ Rates = [{string.Join(", ", Rates)}], Minimums USD/EUR/JPY = [{string.Join(", ", Minimums)}], " +
            $"AutoApproveBelow = [{string.Join(", ", AutoApproveBelow)}], HoldDays = {HoldDays}, " +
            $"Runs = [{string.Join(", ", Runs.Select(r => Periods[r]))}], Attributions = [{string.Join(", ", Attributions.AsEnumerable())}] }}";
    }
}
