using Microsoft.Extensions.Time.Testing;
using PartnerBase.Core;
using PartnerBase.Core.Commissions;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Tests.Commissions;

/// <summary>
/// Commission runs and attribution ingestion (CONTRACT §5) through <see cref="CommissionService"/>, held against every
/// <see cref="IPayoutStore"/>. Stores may share their data between tests (one Cosmos container), so each test works in
/// an organization of its own; time moves only with the fake clock, which stands mid-November 2026.
/// </summary>
public abstract class CommissionRunContractTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);
    private static readonly Currency Usd = Currency.Parse("USD");
    private static readonly Currency Eur = Currency.Parse("EUR");
    private static readonly Currency Jpy = Currency.Parse("JPY");
    private static readonly Period July = Period.Month(2026, 7);
    private static readonly Period August = Period.Month(2026, 8);
    private static readonly Period September = Period.Month(2026, 9);
    private static readonly Period October = Period.Month(2026, 10);
    private static readonly Period November = Period.Month(2026, 11);

    private readonly FakeTimeProvider _time;
    private readonly IPayoutStore _store;
    private readonly CommissionService _service;

    protected CommissionRunContractTests()
    {
        _time = new FakeTimeProvider(Now);
        _store = CreateStore(_time);
        _service = new CommissionService(_store, _time);
    }

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>
    /// Called from this constructor (before a subclass's constructor body runs), so take what the store needs from
    /// primary-constructor parameters or fixtures.
    /// </summary>
    protected abstract IPayoutStore CreateStore(TimeProvider time);

    [Fact]
    public async Task Run_TiesInCommission_RoundHalfToEvenPerLine()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        await IngestAsync(orgId,
            Won("tie-down", "p1", 100_005, September),
            Won("tie-up", "p1", 100_015, September),
            Won("tie-down-again", "p1", 100_025, September),
            Won("tie-up-again", "p1", 100_035, September),
            Won("no-tie", "p1", 100_006, September));

        var run = await RunAsync(orgId, September);

        var lines = await CommissionsByIdAsync(orgId, "tie-down", "tie-up", "tie-down-again", "tie-up-again", "no-tie");
        Assert.Equal(10_000, lines["tie-down"]);
        Assert.Equal(10_002, lines["tie-up"]);
        Assert.Equal(10_002, lines["tie-down-again"]);
        Assert.Equal(10_004, lines["tie-up-again"]);
        Assert.Equal(10_001, lines["no-tie"]);
        Assert.Equal(50_009, Assert.Single(run.Payouts).Amount);
    }

    [Fact]
    public async Task Run_Payout_IsExactSumOfRoundedLinesWithRunFields()
    {
        // Three ties that each round down: the sum of the lines (30000) is not the rounded sum of the amounts (30002).
        var orgId = await NewOrgAsync(("p1", 1_000));
        await IngestAsync(orgId, Won("a1", "p1", 100_005, September), Won("a2", "p1", 100_005, August), Won("a3", "p1", 100_005, July));

        var run = await RunAsync(orgId, September);

        var reported = Assert.Single(run.Payouts);
        Assert.NotNull(reported.PayoutId);
        Assert.Equal(("p1", Usd, 30_000L, 3), (reported.PartnerId, reported.Currency, reported.Amount, reported.AttributionCount));
        var payout = await _store.GetPayoutAsync(orgId, reported.PayoutId, Cancellation);
        Assert.NotNull(payout);
        Assert.Equal("p1", payout.PartnerId);
        Assert.Equal(new Money(30_000, Usd), payout.Amount);
        Assert.Equal(3, payout.LineCount);
        Assert.Equal(PayoutSource.CommissionRun, payout.Source);
        Assert.Equal(Actor.SystemId, payout.CreatedBy);
        Assert.Equal(PayoutStatus.PendingApproval, payout.Status);
        Assert.Equal(September, payout.Period);
        Assert.Equal(1, payout.Version);
        var settlements = (await AttributionsAsync(orgId, "a1", "a2", "a3")).Select(a => a.Settlement).ToList();
        Assert.All(settlements, s => Assert.Equal(payout.Id, s?.PayoutId));
        Assert.Equal(payout.Amount.MinorUnits, settlements.Sum(s => s!.Commission));
    }

    [Fact]
    public async Task Run_ClosedAtPeriodEnd_IsLeftForTheNextPeriod()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        await IngestAsync(orgId,
            Won("at-end", "p1", 20_000, September.End),
            // The same instant written in another offset: compared as an instant, not as local time.
            Won("at-end-elsewhere", "p1", 40_000, September.End.ToOffset(TimeSpan.FromHours(2))),
            Won("before-end-elsewhere", "p1", 80_000, new DateTimeOffset(2026, 10, 1, 1, 0, 0, TimeSpan.FromHours(2))));

        var september = await RunAsync(orgId, September);

        Assert.Equal((8_000L, 1), (Assert.Single(september.Payouts).Amount, september.Payouts[0].AttributionCount));
        Assert.All(await AttributionsAsync(orgId, "at-end", "at-end-elsewhere"), a => Assert.Equal(AttributionState.Open, a.State));

        var october = await RunAsync(orgId, October);

        Assert.Equal((2_000L + 4_000, 2), (Assert.Single(october.Payouts).Amount, october.Payouts[0].AttributionCount));
    }

    [Fact]
    public async Task Run_ClosedOneTickBeforePeriodEnd_IsIncluded()
    {
        // 23:59:59.9999999 is how many systems write "end of the day"; it belongs to the period it ends.
        var orgId = await NewOrgAsync(("p1", 1_000));
        await IngestAsync(orgId, Won("last-tick", "p1", 10_000, September.End.AddTicks(-1)), Won("mid-month", "p1", 20_000, September));

        var september = await RunAsync(orgId, September);

        Assert.Equal((3_000L, 2), (Assert.Single(september.Payouts).Amount, september.Payouts[0].AttributionCount));
        Assert.Equal(AttributionState.Settled, (await AttributionsAsync(orgId, "last-tick")).Single().State);
    }

    [Fact]
    public async Task Run_Quarter_IncludesJulyThroughSeptember()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        var thirdQuarter = ParsePeriod("2026-Q3");
        await IngestAsync(orgId,
            Won("july-first", "p1", 10_000, July.Start),
            Won("august", "p1", 20_000, new DateTimeOffset(2026, 8, 15, 8, 30, 0, TimeSpan.Zero)),
            Won("september-last", "p1", 40_000, new DateTimeOffset(2026, 9, 30, 23, 59, 59, TimeSpan.Zero)),
            Won("october-first", "p1", 80_000, October.Start));

        var run = await RunAsync(orgId, thirdQuarter);

        var reported = Assert.Single(run.Payouts);
        Assert.Equal((7_000L, 3), (reported.Amount, reported.AttributionCount));
        var payout = await _store.GetPayoutAsync(orgId, reported.PayoutId!, Cancellation);
        Assert.Equal(thirdQuarter, payout?.Period);
        Assert.Equal("2026-Q3", payout?.Period.ToString());
        Assert.Null((await AttributionsAsync(orgId, "october-first")).Single().Settlement);
    }

    [Fact]
    public async Task Run_EarlierUnsettledAttribution_IsIncluded()
    {
        // A run settles everything closed before the end of its period, not only what closed within it.
        var orgId = await NewOrgAsync(("p1", 1_000));
        await IngestAsync(orgId, Won("march", "p1", 10_000, new DateTimeOffset(2026, 3, 3, 0, 0, 0, TimeSpan.Zero)), Won("september", "p1", 20_000, September));

        var run = await RunAsync(orgId, September);

        Assert.Equal((3_000L, 2), (Assert.Single(run.Payouts).Amount, run.Payouts[0].AttributionCount));
    }

    [Theory]
    [InlineData("2026-12")]
    [InlineData("2027-01")]
    [InlineData("2027-Q1")]
    public async Task Run_PeriodStartingInTheFuture_ReturnsValidationFailedAndWritesNothing(string period)
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        await IngestAsync(orgId, Won("a1", "p1", 10_000, September));
        var counting = new FaultyStore(_store);

        var outcome = await new CommissionService(counting, _time).RunAsync(orgId, ParsePeriod(period), dryRun: false, Cancellation);

        Assert.Equal(FailureCode.ValidationFailed, outcome.Failure?.Code);
        Assert.Contains("period", outcome.Failure!.Errors!.Keys);
        Assert.Empty(counting.Writes);
        Assert.Empty(await PayoutsAsync(orgId));
    }

    [Theory]
    [InlineData("2026-11")]
    [InlineData("2026-Q4")]
    public async Task Run_CurrentPeriod_IsAllowedAndSettlesWhatClosedSoFar(string period)
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        await IngestAsync(orgId, Won("october", "p1", 10_000, October), Won("this-morning", "p1", 20_000, Now.AddHours(-3)));

        var run = await RunAsync(orgId, ParsePeriod(period));

        Assert.Equal((3_000L, 2), (Assert.Single(run.Payouts).Amount, run.Payouts[0].AttributionCount));
    }

    [Fact]
    public async Task Run_TotalBelowMinimum_IsCarriedForwardAndLaterPaidInFull()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        await SaveMinimumsAsync(orgId, ("USD", 5_000));
        await IngestAsync(orgId, Won("a1", "p1", 25_000, August), Won("a2", "p1", 15_000, September));

        var september = await RunAsync(orgId, September);

        Assert.Empty(september.Payouts);
        Assert.Equal(new CarriedForward("p1", Usd, 4_000), Assert.Single(september.CarriedForward));
        Assert.All(await AttributionsAsync(orgId, "a1", "a2"), a => Assert.Equal(AttributionState.Open, a.State));
        Assert.Empty(await PayoutsAsync(orgId));

        await IngestAsync(orgId, Won("a3", "p1", 10_000, October));
        var october = await RunAsync(orgId, October);

        var reported = Assert.Single(october.Payouts);
        Assert.Equal((5_000L, 3), (reported.Amount, reported.AttributionCount));
        Assert.Empty(october.CarriedForward);
        var payout = Assert.Single(await PayoutsAsync(orgId));
        Assert.Equal((5_000L, 3, October), (payout.Amount.MinorUnits, payout.LineCount, payout.Period));
        Assert.All(await AttributionsAsync(orgId, "a1", "a2", "a3"), a => Assert.Equal(payout.Id, a.Settlement?.PayoutId));
    }

    [Fact]
    public async Task Run_MinimumOfOtherCurrency_DoesNotHoldBackThisOne()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        await SaveMinimumsAsync(orgId, ("EUR", 1_000_000));
        await IngestAsync(orgId, Won("usd", "p1", 10_000, September), Won("eur", "p1", 10_000, September, Eur));

        var run = await RunAsync(orgId, September);

        Assert.Equal((Usd, 1_000L), (Assert.Single(run.Payouts).Currency, run.Payouts[0].Amount));
        Assert.Equal(new CarriedForward("p1", Eur, 1_000), Assert.Single(run.CarriedForward));
    }

    [Fact]
    public async Task Run_TotalZero_IsCarriedForwardAndStaysUnsettled()
    {
        var orgId = await NewOrgAsync(("p0", 0));
        await IngestAsync(orgId, Won("a1", "p0", 50_000, September));

        var run = await RunAsync(orgId, September);

        Assert.Empty(run.Payouts);
        Assert.Equal(new CarriedForward("p0", Usd, 0), Assert.Single(run.CarriedForward));
        Assert.Equal(AttributionState.Open, (await AttributionsAsync(orgId, "a1")).Single().State);
        Assert.Empty(await PayoutsAsync(orgId));
    }

    [Fact]
    public async Task Run_LateAttributionForAlreadyRunPeriod_IsPaidInASecondPayoutAlone()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        await IngestAsync(orgId, Won("a1", "p1", 10_000, September), Won("a2", "p1", 20_000, September));
        var first = Assert.Single((await RunAsync(orgId, September)).Payouts);

        await IngestAsync(orgId, Won("late", "p1", 40_000, new DateTimeOffset(2026, 9, 12, 0, 0, 0, TimeSpan.Zero)));
        var second = Assert.Single((await RunAsync(orgId, September)).Payouts);

        Assert.NotEqual(first.PayoutId, second.PayoutId);
        Assert.Equal((4_000L, 1), (second.Amount, second.AttributionCount));
        var payouts = await PayoutsAsync(orgId);
        Assert.Equal(2, payouts.Count);
        Assert.All(payouts, p => Assert.Equal(September, p.Period));
        Assert.Equal(second.PayoutId, (await AttributionsAsync(orgId, "late")).Single().Settlement?.PayoutId);
        Assert.All(await AttributionsAsync(orgId, "a1", "a2"), a => Assert.Equal(first.PayoutId, a.Settlement?.PayoutId));
    }

    [Fact]
    public async Task Run_ReversedBeforeSettlement_IsNeverPaid()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        await IngestAsync(orgId, Won("refunded", "p1", 10_000, September));
        Assert.Equal(new IngestResult(0, 1, 0), await IngestAsync(orgId, Reversed(Won("refunded", "p1", 10_000, September))));

        var september = await RunAsync(orgId, September);
        var october = await RunAsync(orgId, October);

        Assert.Empty(september.Payouts);
        Assert.Empty(september.CarriedForward);
        Assert.Empty(october.Payouts);
        Assert.Empty(october.CarriedForward);
        var attribution = (await AttributionsAsync(orgId, "refunded")).Single();
        Assert.Equal(AttributionState.Void, attribution.State);
        Assert.Null(attribution.Settlement);
        Assert.Null(attribution.ReversalSettlement);
        Assert.Empty(await PayoutsAsync(orgId));
    }

    [Fact]
    public async Task Run_ReversedOnFirstSight_IsNeverPaid()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        await IngestAsync(orgId, Reversed(Won("refunded", "p1", 10_000, September)), Won("kept", "p1", 20_000, September));

        var run = await RunAsync(orgId, September);

        Assert.Equal((2_000L, 1), (Assert.Single(run.Payouts).Amount, run.Payouts[0].AttributionCount));
        Assert.Equal(AttributionState.Void, (await AttributionsAsync(orgId, "refunded")).Single().State);
    }

    [Fact]
    public async Task Run_ReversedAfterSettlement_NegativeLineInNextRunOnce()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        var refunded = Won("refunded", "p1", 100_005, September);
        await IngestAsync(orgId, refunded);
        var september = Assert.Single((await RunAsync(orgId, September)).Payouts);
        Assert.Equal(10_000, september.Amount);

        await IngestAsync(orgId, Reversed(refunded), Won("new", "p1", 300_000, October));
        var october = Assert.Single((await RunAsync(orgId, October)).Payouts);

        Assert.Equal((30_000L - 10_000, 2), (october.Amount, october.AttributionCount));
        var reversed = (await AttributionsAsync(orgId, "refunded")).Single();
        Assert.Equal(AttributionState.ReversalSettled, reversed.State);
        // The reversal takes back the commission at the rate it was paid at.
        Assert.Equal(new Settlement(september.PayoutId!, 10_000, 1_000), reversed.Settlement);
        Assert.Equal(new Settlement(october.PayoutId!, -10_000, 1_000), reversed.ReversalSettlement);

        await IngestAsync(orgId, Won("later", "p1", 70_000, November.Start.AddDays(1)));
        var november = await RunAsync(orgId, November);
        var again = await RunAsync(orgId, October);

        Assert.Equal((7_000L, 1), (Assert.Single(november.Payouts).Amount, november.Payouts[0].AttributionCount));
        Assert.Empty(again.Payouts);
        Assert.Empty(again.CarriedForward);
        Assert.Equal(3, (await PayoutsAsync(orgId)).Count);
    }

    [Fact]
    public async Task Run_ReversalAfterSettlementWithNewLines_NetsThemInOnePayout()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        var refunded = Won("refunded", "p1", 50_000, September);
        await IngestAsync(orgId, refunded);
        await RunAsync(orgId, September);

        await IngestAsync(orgId, Reversed(refunded), Won("n1", "p1", 30_000, October), Won("n2", "p1", 40_000, October), Won("n3", "p1", 15_000, September));
        var october = await RunAsync(orgId, October);

        var payout = Assert.Single(october.Payouts);
        Assert.Equal((3_000L + 4_000 + 1_500 - 5_000, 4), (payout.Amount, payout.AttributionCount));
        var stored = await _store.GetPayoutAsync(orgId, payout.PayoutId!, Cancellation);
        Assert.Equal((3_500L, 4), (stored!.Amount.MinorUnits, stored.LineCount));
        Assert.Equal(2, (await PayoutsAsync(orgId)).Count);
    }

    [Fact]
    public async Task Run_ReversalAfterSettlementAlone_CarriesNegativeTotalUntilNewLinesCoverIt()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        var refunded = Won("refunded", "p1", 50_000, September);
        await IngestAsync(orgId, refunded);
        await RunAsync(orgId, September);
        await IngestAsync(orgId, Reversed(refunded), Won("small", "p1", 20_000, October));

        var october = await RunAsync(orgId, October);

        Assert.Empty(october.Payouts);
        Assert.Equal(new CarriedForward("p1", Usd, 2_000 - 5_000), Assert.Single(october.CarriedForward));
        Assert.Equal(AttributionState.ReversalPending, (await AttributionsAsync(orgId, "refunded")).Single().State);

        await IngestAsync(orgId, Won("big", "p1", 100_000, November.Start));
        var november = await RunAsync(orgId, November);

        Assert.Equal((2_000L - 5_000 + 10_000, 3), (Assert.Single(november.Payouts).Amount, november.Payouts[0].AttributionCount));
        Assert.Equal(AttributionState.ReversalSettled, (await AttributionsAsync(orgId, "refunded")).Single().State);
    }

    [Fact]
    public async Task Run_ReversalAfterRateChange_NegatesTheCommissionActuallySettled()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        var refunded = Won("refunded", "p1", 50_000, September);
        await IngestAsync(orgId, refunded);
        await RunAsync(orgId, September);
        var partner = await _store.GetPartnerAsync(orgId, "p1", Cancellation);
        Assert.True(await _store.TryUpdatePartnerAsync(partner! with { CommissionRateBps = 2_000, Version = partner.Version + 1 }, Cancellation));

        await IngestAsync(orgId, Reversed(refunded), Won("new", "p1", 100_000, October));
        var october = Assert.Single((await RunAsync(orgId, October)).Payouts);

        // The new line at the new rate (20000), the reversal at the settled commission (5000, not 10000).
        Assert.Equal(20_000L - 5_000, october.Amount);
        Assert.Equal(-5_000, (await AttributionsAsync(orgId, "refunded")).Single().ReversalSettlement?.Commission);
    }

    [Fact]
    public async Task Run_SeveralCurrencies_OnePayoutPerPartnerAndCurrency()
    {
        var orgId = await NewOrgAsync(("p1", 1_000), ("p2", 500));
        await IngestAsync(orgId,
            Won("u1", "p1", 10_000, September),
            Won("u2", "p1", 20_000, August),
            Won("e1", "p1", 30_000, September, Eur),
            Won("j1", "p1", 400_000, September, Jpy),
            Won("j2", "p1", 5, September, Jpy),
            Won("p2-e1", "p2", 60_000, September, Eur));

        var run = await RunAsync(orgId, September);

        var reported = run.Payouts.Select(p => (p.PartnerId, p.Currency.Code, p.Amount, p.AttributionCount)).Order().ToList();
        Assert.Equal([("p1", "EUR", 3_000L, 1), ("p1", "JPY", 40_000L, 2), ("p1", "USD", 3_000L, 2), ("p2", "EUR", 3_000L, 1)], reported);
        var stored = (await PayoutsAsync(orgId)).Select(p => (p.PartnerId, p.Amount.Currency.Code, p.Amount.MinorUnits, p.LineCount ?? -1)).Order().ToList();
        Assert.Equal(reported, stored);
    }

    [Fact]
    public async Task Run_DryRun_WritesNothingAndPreviewsTheRealRun()
    {
        var orgId = await NewOrgAsync(("p1", 1_000), ("p2", 2_500));
        await SaveMinimumsAsync(orgId, ("EUR", 10_000));
        await IngestAsync(orgId, Won("a1", "p1", 10_005, September), Won("a2", "p2", 40_000, August), Won("a3", "p2", 8_000, September, Eur), Won("a4", "p1", 9_000, October));
        var before = await AttributionsAsync(orgId, "a1", "a2", "a3", "a4");
        var stateBefore = await _store.GetCommissionStateAsync(orgId, Cancellation);
        var counting = new FaultyStore(_store);

        var preview = (await new CommissionService(counting, _time).RunAsync(orgId, September, dryRun: true, Cancellation)).Value;

        Assert.True(preview.DryRun);
        Assert.Empty(counting.Writes);
        Assert.Empty(await PayoutsAsync(orgId));
        Assert.Equal(before, await AttributionsAsync(orgId, "a1", "a2", "a3", "a4"));
        Assert.Equal(stateBefore, await _store.GetCommissionStateAsync(orgId, Cancellation));
        Assert.All(preview.Payouts, p => Assert.Null(p.PayoutId));

        var real = await RunAsync(orgId, September);

        Assert.False(real.DryRun);
        Assert.Equal(preview.Payouts.Select(p => p with { PayoutId = null }), real.Payouts.Select(p => p with { PayoutId = null }));
        Assert.Equal(preview.CarriedForward, real.CarriedForward);
        Assert.Equal(2, preview.Payouts.Count);
        Assert.Equal(new CarriedForward("p2", Eur, 2_000), Assert.Single(preview.CarriedForward));
    }

    [Fact]
    public async Task Run_HoldDays_YoungAttributionsAreHeldUntilTheFirstRunWhosePeriodEndIsPastTheirHold()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        await SaveSettingsAsync(orgId, settings => settings with { HoldDays = 30 });
        var sept10 = new DateTimeOffset(2026, 9, 10, 15, 0, 0, TimeSpan.Zero);
        var sept28 = new DateTimeOffset(2026, 9, 28, 8, 0, 0, TimeSpan.Zero);
        await IngestAsync(orgId,
            Won("old", "p1", 10_000, July),             // July 10 + 30 days: long payable
            Won("young", "p1", 20_000, sept10),         // payable from October 10
            Won("younger", "p1", 40_000, sept28));      // payable from October 28

        var preview = (await _service.RunAsync(orgId, September, dryRun: true, Cancellation)).Value;
        var september = await RunAsync(orgId, September);
        var october = await RunAsync(orgId, October);
        var november = await RunAsync(orgId, November);

        var held = new HeldCommission("p1", Usd, 6_000, 2, sept10.AddDays(30));
        Assert.Equal([held], preview.Held);
        Assert.Equal([held], september.Held);
        Assert.Equal((1_000L, 1), (Assert.Single(september.Payouts).Amount, september.Payouts[0].AttributionCount));
        Assert.Equal((6_000L, 2), (Assert.Single(october.Payouts).Amount, october.Payouts[0].AttributionCount));
        Assert.Empty(october.Held);
        Assert.Empty(november.Payouts);
        Assert.All(await AttributionsAsync(orgId, "old", "young", "younger"), a => Assert.Equal(AttributionState.Settled, a.State));
    }

    [Fact]
    public async Task Run_HoldEndingExactlyAtPeriodEnd_IsSettledByThatPeriodsRun_OneTickLaterWaits()
    {
        // CONTRACT §8: settled "when closedAt + holdDays days is at or before the end of P".
        var orgId = await NewOrgAsync(("p1", 1_000));
        await SaveSettingsAsync(orgId, settings => settings with { HoldDays = 30 });
        await IngestAsync(orgId, Won("edge", "p1", 10_000, September.Start), Won("tick-later", "p1", 20_000, September.Start.AddTicks(1)));

        var september = await RunAsync(orgId, September);
        var october = await RunAsync(orgId, October);

        Assert.Equal((1_000L, 1), (Assert.Single(september.Payouts).Amount, september.Payouts[0].AttributionCount));
        Assert.Equal(new HeldCommission("p1", Usd, 2_000, 1, September.End.AddTicks(1)), Assert.Single(september.Held));
        Assert.Equal((2_000L, 1), (Assert.Single(october.Payouts).Amount, october.Payouts[0].AttributionCount));
    }

    [Fact]
    public async Task Run_ReversedWhileHeld_IsNeverPaid()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        await SaveSettingsAsync(orgId, settings => settings with { HoldDays = 60 });
        await IngestAsync(orgId, Won("refunded", "p1", 50_000, September), Won("kept", "p1", 10_000, September));
        var payableFrom = September.Start.AddDays(9).AddHours(15).AddDays(60);
        var september = await RunAsync(orgId, September);

        await IngestAsync(orgId, Reversed(Won("refunded", "p1", 50_000, September)));
        var october = await RunAsync(orgId, October);
        var november = await RunAsync(orgId, November);

        Assert.Empty(september.Payouts);
        Assert.Equal(new HeldCommission("p1", Usd, 6_000, 2, payableFrom), Assert.Single(september.Held));
        Assert.Empty(october.Payouts);
        Assert.Equal(new HeldCommission("p1", Usd, 1_000, 1, payableFrom), Assert.Single(october.Held));
        Assert.Equal((1_000L, 1), (Assert.Single(november.Payouts).Amount, november.Payouts[0].AttributionCount));
        Assert.Empty(november.Held);
        Assert.Equal(AttributionState.Void, (await AttributionsAsync(orgId, "refunded")).Single().State);
    }

    [Fact]
    public async Task Run_AutoApproveBelow_ApprovesSmallRunPayoutsBySystemAndLeavesOthersPending()
    {
        var orgId = await NewOrgAsync(("p1", 1_000), ("p2", 1_000));
        await SaveSettingsAsync(orgId, settings => settings with
        {
            ApprovalPolicy = ApprovalPolicy.Default with { AutoApproveBelow = new Dictionary<string, long> { ["USD"] = 5_000 } },
        });
        await IngestAsync(orgId, Won("small", "p1", 49_990, September), Won("large", "p2", 50_000, September), Won("euro", "p1", 10_000, September, Eur));

        var run = await RunAsync(orgId, September);

        var payouts = (await PayoutsAsync(orgId)).ToDictionary(p => (p.PartnerId, p.Amount.Currency.Code));
        Assert.Equal(3, run.Payouts.Count);
        Assert.Equal((PayoutStatus.Approved, Actor.SystemId), (payouts[("p1", "USD")].Status, payouts[("p1", "USD")].ApprovedBy));
        Assert.Equal(PayoutStatus.PendingApproval, payouts[("p2", "USD")].Status);
        Assert.Equal(PayoutStatus.PendingApproval, payouts[("p1", "EUR")].Status);
        var events = await _store.GetPayoutEventsAsync(orgId, payouts[("p1", "USD")].Id, cancellationToken: Cancellation);
        Assert.Equal([(PayoutAction.Create, Actor.System), (PayoutAction.Approve, Actor.System)], events.Select(e => (e.Action, e.Actor)));
    }

    [Fact]
    public async Task Run_Repeated_CreatesNothingMore()
    {
        var orgId = await NewOrgAsync(("p1", 1_000), ("p2", 2_000));
        await IngestAsync(orgId, Won("a1", "p1", 10_000, September), Won("a2", "p2", 10_000, September), Won("a3", "p2", 10_000, September, Eur));
        var first = await RunAsync(orgId, September);
        var firstIds = first.Payouts.Select(p => p.PayoutId!).Order(StringComparer.Ordinal).ToList();

        var second = await RunAsync(orgId, September);

        Assert.Empty(second.Payouts);
        Assert.Empty(second.CarriedForward);
        Assert.Equal(3, firstIds.Count);
        Assert.Equal(firstIds, (await PayoutsAsync(orgId)).Select(p => p.Id).Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task Ingest_NewChangedAndRepeated_CountsCreatedUpdatedUnchanged()
    {
        var orgId = await NewOrgAsync(("p1", 1_000), ("p2", 2_000));

        var first = await IngestAsync(orgId, Won("a1", "p1", 10_000, September), Won("a2", "p1", 20_000, September), Won("a3", "p2", 30_000, September));
        var second = await IngestAsync(orgId,
            Won("a1", "p1", 10_000, September),
            Won("a2", "p1", 25_000, September),
            Won("a3", "p1", 30_000, September),
            Won("a4", "p2", 40_000, September));

        Assert.Equal(new IngestResult(3, 0, 0), first);
        Assert.Equal(new IngestResult(1, 2, 1), second);
        var stored = (await AttributionsAsync(orgId, "a1", "a2", "a3", "a4")).ToDictionary(a => a.Id);
        Assert.Equal((1L, 2L, 2L, 1L), (stored["a1"].Version, stored["a2"].Version, stored["a3"].Version, stored["a4"].Version));
        Assert.Equal(new Money(25_000, Usd), stored["a2"].AttributedAmount);
        Assert.Equal("p1", stored["a3"].PartnerId);

        // An open attribution's facts may change until it is settled; the run uses the latest ones.
        var run = await RunAsync(orgId, September);
        Assert.Equal([("p1", 1_000L + 2_500 + 3_000), ("p2", 8_000L)], run.Payouts.Select(p => (p.PartnerId, p.Amount)).Order().ToList());
    }

    [Fact]
    public async Task Ingest_IdenticalRepost_IsUnchangedAndWritesNothing()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        AttributionInput[] batch = [Won("a1", "p1", 10_000, September), Reversed(Won("a2", "p1", 20_000, September))];
        await IngestAsync(orgId, batch);
        var before = await AttributionsAsync(orgId, "a1", "a2");
        var counting = new FaultyStore(_store);

        var repost = (await new CommissionService(counting, _time).IngestAsync(orgId, batch, Cancellation)).Value;

        Assert.Equal(new IngestResult(0, 0, 2), repost);
        Assert.DoesNotContain(nameof(IPayoutStore.TrySaveAttributionAsync), counting.Writes);
        Assert.Equal(before, await AttributionsAsync(orgId, "a1", "a2"));
    }

    [Fact]
    public async Task Ingest_RepostOfSettledOrReversedAttribution_IsUnchanged()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        var kept = Won("kept", "p1", 10_000, September);
        var refunded = Won("refunded", "p1", 20_000, September);
        await IngestAsync(orgId, kept, refunded);
        await RunAsync(orgId, September);

        Assert.Equal(new IngestResult(0, 1, 1), await IngestAsync(orgId, kept, Reversed(refunded)));
        Assert.Equal(new IngestResult(0, 0, 2), await IngestAsync(orgId, kept, Reversed(refunded)));
        Assert.Equal(AttributionState.ReversalPending, (await AttributionsAsync(orgId, "refunded")).Single().State);
    }

    [Theory]
    [InlineData("amount")]
    [InlineData("partner")]
    [InlineData("closedAt")]
    [InlineData("currency")]
    [InlineData("reversal-with-other-amount")]
    public async Task Ingest_ChangeToSettledAttribution_ConflictsAndWritesNothing(string change)
    {
        var orgId = await NewOrgAsync(("p1", 1_000), ("p2", 1_000));
        var settled = Won("settled", "p1", 10_000, September);
        await IngestAsync(orgId, settled);
        await RunAsync(orgId, September);
        var before = await AttributionsAsync(orgId, "settled");
        var changed = change switch
        {
            "amount" => settled with { AttributedAmount = new Money(12_000, Usd) },
            "partner" => settled with { PartnerId = "p2" },
            "closedAt" => settled with { ClosedAt = October.Start },
            "currency" => settled with { AttributedAmount = new Money(10_000, Eur) },
            _ => Reversed(settled) with { AttributedAmount = new Money(9_000, Usd) },
        };

        var outcome = await _service.IngestAsync(orgId, [Won("new", "p1", 5_000, October), changed], Cancellation);

        Assert.Equal(FailureCode.Conflict, outcome.Failure?.Code);
        Assert.Contains("settled", outcome.Failure!.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await AttributionsAsync(orgId, "settled"));
        Assert.Empty(await AttributionsAsync(orgId, "new"));
    }

    [Fact]
    public async Task Ingest_UnknownPartner_ValidationFailedAndWritesNothing()
    {
        var orgId = await NewOrgAsync(("p1", 1_000));
        var counting = new FaultyStore(_store);

        var outcome = await new CommissionService(counting, _time).IngestAsync(orgId, [Won("a1", "p1", 10_000, September), Won("a2", "ghost", 10_000, September)], Cancellation);

        Assert.Equal(FailureCode.ValidationFailed, outcome.Failure?.Code);
        Assert.Contains("ghost", outcome.Failure!.Detail, StringComparison.Ordinal);
        Assert.Empty(counting.Writes);
        Assert.Empty(await AttributionsAsync(orgId, "a1", "a2"));
    }

    [Fact]
    public async Task Ingest_PartnerOfAnotherOrganization_ValidationFailed()
    {
        var otherOrgId = await NewOrgAsync(("p9", 1_000));
        var orgId = await NewOrgAsync(("p1", 1_000));

        var outcome = await _service.IngestAsync(orgId, [Won("a1", "p9", 10_000, September)], Cancellation);

        Assert.Equal(FailureCode.ValidationFailed, outcome.Failure?.Code);
        Assert.Empty(await AttributionsAsync(orgId, "a1"));
        Assert.Empty(await AttributionsAsync(otherOrgId, "a1"));
    }

    [Fact]
    public async Task Run_FourSimultaneousRuns_SettleEachAttributionExactlyOnce()
    {
        // The real clock: a run waiting for the lease polls with Task.Delay on the service's time provider.
        var time = TimeProvider.System;
        var store = CreateStore(time);
        var orgId = NewOrgId();
        var period = Period.Month(2025, 9);
        string[] partners = ["p1", "p2", "p3"];
        foreach (var (partnerId, index) in partners.Select((id, i) => (id, i)))
        {
            Assert.True(await store.TryCreatePartnerAsync(NewPartner(orgId, partnerId, 500 * (index + 1), time.GetUtcNow()), Cancellation));
        }

        var inputs = Enumerable.Range(0, 60)
            .Select(i => Won($"a{i:D2}", partners[i % 3], 10_000 + (i * 1_001), period.Start.AddHours(i), i % 4 == 0 ? Eur : Usd))
            .ToList();
        Assert.Equal(60, (await new CommissionService(store, time).IngestAsync(orgId, inputs, Cancellation)).Value.Created);
        var rates = new Dictionary<string, int> { ["p1"] = 500, ["p2"] = 1_000, ["p3"] = 1_500 };
        var due = inputs.GroupBy(i => (i.PartnerId, i.AttributedAmount.Currency))
            .ToDictionary(g => g.Key, g => g.Sum(i => Commission.Line(i.AttributedAmount.MinorUnits, rates[i.PartnerId])));

        var runs = await Task.WhenAll(Enumerable.Range(0, 4)
            .Select(_ => new CommissionService(store, time))
            .Select(service => Task.Run(() => service.RunAsync(orgId, period, dryRun: false, Cancellation), Cancellation)));

        Assert.All(runs, run => Assert.True(run.Succeeded, run.Failure?.Detail));
        var reported = runs.SelectMany(run => run.Value.Payouts).ToList();
        Assert.Equal(due.Values.Sum(), reported.Sum(p => p.Amount));
        Assert.Equal(due.Count, reported.Count);
        var payouts = await store.GetPayoutsAsync(orgId, PayoutFilter.All, cancellationToken: Cancellation).ToListAsync(Cancellation);
        Assert.Equal(due.OrderBy(d => d.Key.PartnerId, StringComparer.Ordinal).ThenBy(d => d.Key.Currency.Code, StringComparer.Ordinal).Select(d => (d.Key.PartnerId, d.Key.Currency, d.Value)),
            payouts.OrderBy(p => p.PartnerId, StringComparer.Ordinal).ThenBy(p => p.Amount.Currency.Code, StringComparer.Ordinal).Select(p => (p.PartnerId, p.Amount.Currency, p.Amount.MinorUnits)));
        var attributions = await store.GetAttributionsAsync(orgId, inputs.Select(i => i.Id).ToList(), Cancellation);
        Assert.Equal(60, attributions.Count);
        Assert.All(attributions, a => Assert.Contains(payouts, p => p.Id == a.Settlement?.PayoutId));
        foreach (var payout in payouts)
        {
            var lines = attributions.Where(a => a.Settlement?.PayoutId == payout.Id).ToList();
            Assert.Equal(payout.LineCount, lines.Count);
            Assert.Equal(payout.Amount.MinorUnits, lines.Sum(a => a.Settlement!.Commission));
        }

        var state = await store.GetCommissionStateAsync(orgId, Cancellation);
        Assert.Null(state?.Pending);
        Assert.Null(state?.LeaseOwner);
    }

    [Fact]
    public async Task Run_TotalAboveMaximumPayoutAmount_LeavesNoLineInAMissingPayout()
    {
        // Two lines each within the contract's per-payout limit (10^12 minor units) that together exceed it. Whatever
        // the run does with them, it must not claim them into a payout it cannot create, and it must not wedge the
        // organization's later runs and imports.
        var orgId = await NewOrgAsync(("p1", 10_000));
        await IngestAsync(orgId, Won("big1", "p1", Money.MaxPayoutAmount, September, Jpy), Won("big2", "p1", Money.MaxPayoutAmount, September, Jpy));

        var runFailure = await Record.ExceptionAsync(() => _service.RunAsync(orgId, September, dryRun: false, Cancellation));
        var payouts = await PayoutsAsync(orgId);
        var dangling = (await AttributionsAsync(orgId, "big1", "big2"))
            .Where(a => a.Settlement is { } s && !payouts.Any(p => p.Id == s.PayoutId))
            .Select(a => $"{a.Id} -> {a.Settlement!.PayoutId}")
            .ToList();
        var ingestFailure = await Record.ExceptionAsync(() => _service.IngestAsync(orgId, [Won("small", "p1", 1_000, October)], Cancellation));

        Assert.Multiple(
            () => Assert.True(dangling.Count == 0, $"Settled into payouts that do not exist: {string.Join(", ", dangling)} (the run threw: {runFailure?.Message})."),
            () => Assert.True(ingestFailure is null, $"A later import failed: {ingestFailure?.GetType().Name}: {ingestFailure?.Message}"));
    }

    private static string NewOrgId() => "org_" + Guid.NewGuid().ToString("N")[..12];

    private static Period ParsePeriod(string text) =>
        Period.TryParse(text, out var period) ? period : throw new ArgumentException($"'{text}' is not a period.", nameof(text));

    private static Partner NewPartner(string orgId, string partnerId, int rateBps, DateTimeOffset now) =>
        new(partnerId, orgId, $"Partner {partnerId}", $"{partnerId}@example.com", rateBps, null, null, now, now, 1);

    private static AttributionInput Won(string id, string partnerId, long amount, Period closedIn, Currency? currency = null) =>
        Won(id, partnerId, amount, closedIn.Start.AddDays(9).AddHours(15), currency);

    private static AttributionInput Won(string id, string partnerId, long amount, DateTimeOffset closedAt, Currency? currency = null) =>
        new(id, partnerId, $"deal-{id}", new Money(amount, currency ?? Usd), closedAt, AttributionStatus.Won);

    private static AttributionInput Reversed(AttributionInput input) => input with { Status = AttributionStatus.Reversed };

    private async Task<string> NewOrgAsync(params (string Id, int RateBps)[] partners)
    {
        var orgId = NewOrgId();
        foreach (var (id, rateBps) in partners)
        {
            Assert.True(await _store.TryCreatePartnerAsync(NewPartner(orgId, id, rateBps, Now), Cancellation));
        }

        return orgId;
    }

    private async Task SaveMinimumsAsync(string orgId, params (string Currency, long Amount)[] minimums)
    {
        var settings = OrganizationSettings.Default(orgId) with { MinimumPayouts = minimums.ToDictionary(m => m.Currency, m => m.Amount), Version = 1 };
        Assert.True(await _store.TrySaveOrganizationAsync(settings, Cancellation));
    }

    private async Task SaveSettingsAsync(string orgId, Func<OrganizationSettings, OrganizationSettings> change)
    {
        var current = await _store.GetOrganizationAsync(orgId, Cancellation) ?? OrganizationSettings.Default(orgId);
        Assert.True(await _store.TrySaveOrganizationAsync(change(current) with { Version = current.Version + 1 }, Cancellation));
    }

    private async Task<IngestResult> IngestAsync(string orgId, params AttributionInput[] inputs)
    {
        var outcome = await _service.IngestAsync(orgId, inputs, Cancellation);
        Assert.True(outcome.Succeeded, outcome.Failure?.Detail);
        return outcome.Value;
    }

    private async Task<CommissionRunResult> RunAsync(string orgId, Period period)
    {
        var outcome = await _service.RunAsync(orgId, period, dryRun: false, Cancellation);
        Assert.True(outcome.Succeeded, outcome.Failure?.Detail);
        Assert.Equal(period, outcome.Value.Period);
        return outcome.Value;
    }

    private async Task<List<Payout>> PayoutsAsync(string orgId) =>
        await _store.GetPayoutsAsync(orgId, PayoutFilter.All, cancellationToken: Cancellation).ToListAsync(Cancellation);

    private async Task<List<Attribution>> AttributionsAsync(string orgId, params string[] ids) =>
        (await _store.GetAttributionsAsync(orgId, ids, Cancellation)).OrderBy(a => Array.IndexOf(ids, a.Id)).ToList();

    private async Task<Dictionary<string, long?>> CommissionsByIdAsync(string orgId, params string[] ids) =>
        (await AttributionsAsync(orgId, ids)).ToDictionary(a => a.Id, a => a.Settlement?.Commission);
}
