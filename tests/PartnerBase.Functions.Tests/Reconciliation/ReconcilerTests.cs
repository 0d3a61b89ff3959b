using Microsoft.Extensions.Time.Testing;
using PartnerBase.Core;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payments;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Reconciliation;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Cosmos;
using PartnerBase.Functions.Payments;
using PartnerBase.Functions.Tests.Payments;
using PartnerBase.Functions.Tests.Storage;

namespace PartnerBase.Functions.Tests.Reconciliation;

/// <summary>
/// CONTRACT §10 reconciliation against the simulated provider's ledger (in the store, made to drift here): a clean
/// window matches every payout paid through the provider; each kind of issue, caused once, is reported exactly once.
/// </summary>
public abstract class ReconcilerTests
{
    private readonly IPayoutStore _store;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly string _orgId = "org_" + Guid.NewGuid().ToString("N")[..12];
    private readonly DateTimeOffset _from = DateTimeOffset.UtcNow.AddHours(-1);
    private int _next;

    protected ReconcilerTests(IPayoutStore store) => _store = store;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SimulatedPaymentGateway Provider => new(_store, TimeProvider.System);

    [Fact]
    public async Task CleanWindow_MatchesEveryPayoutPaidThroughTheProvider_NoIssues()
    {
        await SetUpAsync();
        for (var i = 0; i < 3; i++)
        {
            await PaidThroughProviderAsync();
        }

        // Paid by hand (finance's own reference), rejected, pending: none is the provider's business.
        var byHand = await ApprovedAsync();
        await SaveAsync(byHand.MarkPaid(Actor.User("finance-1"), "wire-2026-11-03", Now));
        await SaveAsync((await CreateAsync()).Reject(Actor.User("approver-1"), "no", Now));
        await CreateAsync();

        var report = await ReconcileAsync();

        Assert.Equal(3, report.Matched);
        Assert.Empty(report.Issues);
    }

    [Fact]
    public async Task EachKindOfIssue_CausedOnce_IsReportedExactlyOnce()
    {
        await SetUpAsync();
        var clean = await PaidThroughProviderAsync();
        var lost = await ApprovedAsync();
        var processing = await SaveAsync(lost.MarkProcessing(Actor.System, Now));
        await SaveAsync(processing.MarkPaid(Actor.System, "sim_tr_the_provider_never_made", Now));
        var stray = new ProviderTransfer("sim_tr_stray", "po_not_ours", "USD", 1_234, Now, Reversed: false);
        await _store.TryAddTransferAsync(_orgId, stray, Ct);
        var shortPaid = await PaidThroughProviderAsync();
        await DriftAsync(shortPaid, t => t with { Amount = t.Amount - 1 });
        var wrongCurrency = await PaidThroughProviderAsync();
        await DriftAsync(wrongCurrency, t => t with { Currency = "EUR" });
        var reversed = await PaidThroughProviderAsync();
        await DriftAsync(reversed, t => t with { Reversed = true });
        var stuck = await SaveAsync((await ApprovedAsync()).MarkProcessing(Actor.System, Now));
        var youngProcessing = await ApprovedAsync();
        _clock.Advance(TimeSpan.FromHours(25));
        await SaveAsync(youngProcessing.MarkProcessing(Actor.System, Now));

        var report = await ReconcileAsync();

        Assert.Equal(1, report.Matched);
        Assert.Equal(
            [
                (IssueKind.MissingTransfer, lost.Id, "sim_tr_the_provider_never_made", null, null),
                (IssueKind.UnknownTransfer, "po_not_ours", stray.Id, null, null),
                (IssueKind.AmountMismatch, shortPaid.Id, shortPaid.PaymentReference, "10000", "9999"),
                (IssueKind.CurrencyMismatch, wrongCurrency.Id, wrongCurrency.PaymentReference, "USD", "EUR"),
                (IssueKind.ReversedTransfer, reversed.Id, reversed.PaymentReference, null, null),
                (IssueKind.StuckProcessing, stuck.Id, null, null, null),
            ],
            report.Issues.OrderBy(i => i.Kind).Select(i => (i.Kind, i.PayoutId, i.TransferId, i.Expected, i.Actual)));
        Assert.DoesNotContain(report.Issues, i => i.PayoutId == clean.Id);
    }

    [Fact]
    public async Task SecondTransferForAPaidPayout_IsUnknown_SoAPaymentMadeTwiceIsSeen()
    {
        await SetUpAsync();
        var paid = await PaidThroughProviderAsync();
        var twice = new ProviderTransfer("sim_tr_again", paid.Id, "USD", paid.Amount.MinorUnits, Now, Reversed: false);
        await _store.TryAddTransferAsync(_orgId, twice, Ct);

        var report = await ReconcileAsync();

        Assert.Equal(1, report.Matched);
        var issue = Assert.Single(report.Issues);
        Assert.Equal((IssueKind.UnknownTransfer, paid.Id, twice.Id), (issue.Kind, issue.PayoutId, issue.TransferId));
    }

    [Fact]
    public async Task TransferOfAPayoutPaidAfterTheWindow_IsNotUnknown_AndOutsideTheWindowNothingCounts()
    {
        await SetUpAsync();
        var paid = await PaidThroughProviderAsync();
        var transferTime = (await _store.GetTransferAsync(_orgId, paid.PaymentReference!, Ct))!.CreatedAt;

        var endsBeforePayment = await new Reconciler(_store, Provider, _clock).ReconcileAsync("rc_1", _orgId, _from, paid.PaidAt!.Value, Ct);
        var later = await new Reconciler(_store, Provider, _clock).ReconcileAsync("rc_2", _orgId, _clock.GetUtcNow().AddHours(1), _clock.GetUtcNow().AddHours(2), Ct);

        Assert.True(transferTime < paid.PaidAt);
        Assert.Equal((0, 0), (endsBeforePayment.Matched, endsBeforePayment.Issues.Count));
        Assert.Equal((0, 0), (later.Matched, later.Issues.Count));
    }

    private DateTimeOffset Now => _clock.GetUtcNow();

    private Task<ReconciliationReport> ReconcileAsync() =>
        new Reconciler(_store, Provider, _clock).ReconcileAsync("rc_test", _orgId, _from, DateTimeOffset.UtcNow.AddHours(1), Ct);

    private async Task SetUpAsync()
    {
        await _store.TrySaveOrganizationAsync(OrganizationSettings.Default(_orgId) with { AutomaticPayments = true, Version = 1 }, Ct);
        var now = DateTimeOffset.UtcNow;
        await _store.TryCreatePartnerAsync(new Partner("acme", _orgId, "Acme", "pay@acme.example", 1_000, null, "acct_acme", now, now, 1), Ct);
    }

    private async Task<Payout> CreateAsync()
    {
        var draft = new PayoutDraft($"po_{++_next}", _orgId, "acme", new Money(10_000, Currency.Parse("USD")), Period.Month(2026, 10), null, null);
        var created = Payout.Create(draft, Actor.User("manager-1"), Now);
        Assert.True(await _store.TrySaveChangeAsync(created, null, Ct));
        return created.Payout;
    }

    private async Task<Payout> ApprovedAsync() => await SaveAsync((await CreateAsync()).Approve(Actor.User("approver-1"), ApprovalPolicy.Default, Now));

    /// <summary>Approved, then paid the way automatic payments pay: processing, a transfer, paid.</summary>
    private async Task<Payout> PaidThroughProviderAsync()
    {
        var approved = await ApprovedAsync();
        var payments = new PaymentService(_store, new PayoutService(_store, TimeProvider.System), Provider);
        Assert.Equal(PaymentOutcome.Transferred, await payments.PayAsync(_orgId, approved.Id, Ct));
        var paid = (await _store.GetPayoutAsync(_orgId, approved.Id, Ct))!;
        Assert.Equal(PayoutStatus.Paid, paid.Status);
        return paid;
    }

    private async Task DriftAsync(Payout paid, Func<ProviderTransfer, ProviderTransfer> drift) =>
        await _store.SaveTransferAsync(_orgId, drift((await _store.GetTransferAsync(_orgId, paid.PaymentReference!, Ct))!), Ct);

    private async Task<Payout> SaveAsync(Outcome<PayoutEvent> decision)
    {
        Assert.True(decision.Succeeded, decision.Failure?.Detail);
        var change = decision.Value;
        var current = await _store.GetPayoutAsync(_orgId, change.PayoutId, Ct);
        Assert.True(await _store.TrySaveChangeAsync(change, current, Ct));
        return change.Payout;
    }
}

public sealed class InMemoryReconcilerTests() : ReconcilerTests(new InMemoryPayoutStore(TimeProvider.System));

public sealed class CosmosReconcilerTests(CosmosServer server) : ReconcilerTests(new CosmosPayoutStore(server.Container, TimeProvider.System));

/// <summary>Reconciliation through the Stripe adapter, against the local Stripe fake: more than one page of transfers.</summary>
public sealed class StripeReconciliationTests : IAsyncLifetime
{
    private readonly InMemoryPayoutStore _store = new(TimeProvider.System);
    private FakeStripe _stripe = null!;

    public async ValueTask InitializeAsync() => _stripe = await FakeStripe.StartAsync();

    public async ValueTask DisposeAsync() => await _stripe.DisposeAsync();

    [Fact]
    public async Task ManyPaymentsThroughStripe_AllMatched_OneDriftFound_InPagesOfTransfers()
    {
        const string orgId = "org_stripe";
        var ct = TestContext.Current.CancellationToken;
        _stripe.Now = DateTimeOffset.UtcNow;
        var gateway = new StripePaymentGateway(new StripeOptions { ApiKey = FakeStripe.ApiKey, ApiBase = _stripe.BaseUri });
        await _store.TrySaveOrganizationAsync(OrganizationSettings.Default(orgId) with { AutomaticPayments = true, Version = 1 }, ct);
        var now = DateTimeOffset.UtcNow;
        await _store.TryCreatePartnerAsync(new Partner("acme", orgId, "Acme", "pay@acme.example", 1_000, null, "acct_acme", now, now, 1), ct);
        var payments = new PaymentService(_store, new PayoutService(_store, TimeProvider.System), gateway);
        var paid = new List<Payout>();
        for (var i = 0; i < 230; i++)
        {
            var created = Payout.Create(new PayoutDraft($"po_{i}", orgId, "acme", new Money(1_000 + i, Currency.Parse("USD")), Period.Month(2026, 10), null, null), Actor.User("manager-1"), now);
            await _store.TrySaveChangeAsync(created, null, ct);
            var approval = created.Payout.Approve(Actor.User("approver-1"), ApprovalPolicy.Default, now).Value;
            await _store.TrySaveChangeAsync(approval, created.Payout, ct);
            await payments.PayAsync(orgId, created.Payout.Id, ct);
            paid.Add((await _store.GetPayoutAsync(orgId, created.Payout.Id, ct))!);
        }

        _stripe.AddTransfer("org_other", "po_0", 1_000, "usd", _stripe.Now);
        _stripe.SetTransferAmount(paid[7].PaymentReference!, 5);
        var before = _stripe.Requests.Count;

        var report = await new Reconciler(_store, gateway, TimeProvider.System).ReconcileAsync("rc_stripe", orgId, now.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5), ct);

        Assert.Equal(229, report.Matched);
        var issue = Assert.Single(report.Issues);
        Assert.Equal((IssueKind.AmountMismatch, paid[7].Id, "1007", "5"), (issue.Kind, issue.PayoutId, issue.Expected, issue.Actual));
        Assert.Equal(3, _stripe.Requests.Count - before);
        Assert.Empty(_stripe.WireErrors);
    }
}
