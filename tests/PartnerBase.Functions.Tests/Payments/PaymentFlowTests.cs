using PartnerBase.Core;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payments;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Events;
using Microsoft.Extensions.Logging;
using PartnerBase.Functions.Payments;

namespace PartnerBase.Functions.Tests.Payments;

/// <summary>Automatic payment through the payments consumer: never twice, whatever the redeliveries and crashes.</summary>
public sealed class PaymentFlowTests
{
    private const string OrgId = "org_payments";
    private readonly InMemoryPayoutStore _store = new(TimeProvider.System);
    private readonly PayoutService _payouts;
    private readonly SimulatedPaymentGateway _bank;
    private readonly ListLogger _log = new();

    public PaymentFlowTests()
    {
        _payouts = new PayoutService(_store, TimeProvider.System);
        _bank = new SimulatedPaymentGateway(_store, TimeProvider.System);
    }

    /// <summary>How many transfers the provider's ledger holds (what a bank statement would show).</summary>
    private Task<int> TransferCountAsync() =>
        _store.GetTransfersAsync(OrgId, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, TestContext.Current.CancellationToken).CountAsync(TestContext.Current.CancellationToken).AsTask();

    [Fact]
    public async Task Approved_DeliveredFiveTimes_TransfersOnceAndIsPaid()
    {
        var approved = await ApprovedPayoutAsync("acct_ok_1");
        var delivery = Delivery(_bank);

        for (var i = 0; i < 5; i++)
        {
            await delivery.DeliverAsync("payments", approved, TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, await TransferCountAsync());
        var payout = (await _store.GetPayoutAsync(OrgId, approved.PayoutId, TestContext.Current.CancellationToken))!;
        Assert.Equal(PayoutStatus.Paid, payout.Status);
        Assert.StartsWith("sim_tr_", payout.PaymentReference, StringComparison.Ordinal);
        var history = await _store.GetPayoutEventsAsync(OrgId, approved.PayoutId, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal([PayoutAction.Create, PayoutAction.Approve, PayoutAction.MarkProcessing, PayoutAction.MarkPaid], history.Select(e => e.Action));
        Assert.All(history.Skip(2), e => Assert.Equal(Actor.System, e.Actor));
    }

    [Fact]
    public async Task Approved_DeliveredFiveTimesAtOnce_TransfersOnce()
    {
        var approved = await ApprovedPayoutAsync("acct_ok_2");
        var delivery = Delivery(_bank);

        // Dedupe records cannot stop deliveries that overlap; the version checks and the transfer's key do.
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => delivery.DeliverAsync("payments", approved, TestContext.Current.CancellationToken)));

        Assert.Equal(1, await TransferCountAsync());
        Assert.Equal(PayoutStatus.Paid, (await _store.GetPayoutAsync(OrgId, approved.PayoutId, TestContext.Current.CancellationToken))!.Status);
    }

    [Fact]
    public async Task Approved_CrashAfterTheTransfer_RedeliveryCompletesWithoutASecondTransfer()
    {
        var approved = await ApprovedPayoutAsync("acct_ok_3");
        var crashing = new CrashAfterTransfer(_bank);

        await Assert.ThrowsAsync<IOException>(() => Delivery(crashing).DeliverAsync("payments", approved, TestContext.Current.CancellationToken));
        var stuck = (await _store.GetPayoutAsync(OrgId, approved.PayoutId, TestContext.Current.CancellationToken))!;
        await Delivery(_bank).DeliverAsync("payments", approved, TestContext.Current.CancellationToken);

        Assert.Equal(PayoutStatus.Processing, stuck.Status);
        Assert.Equal(1, await TransferCountAsync());
        var paid = (await _store.GetPayoutAsync(OrgId, approved.PayoutId, TestContext.Current.CancellationToken))!;
        Assert.Equal(PayoutStatus.Paid, paid.Status);
        Assert.Equal(crashing.LastTransferId, paid.PaymentReference);
    }

    [Fact]
    public async Task FailedPayout_MovedBackToProcessingByFinance_IsAttemptedAgainWithTheNextAttempt()
    {
        var ct = TestContext.Current.CancellationToken;
        var approved = await ApprovedPayoutAsync("acct_fail_closed");
        var delivery = Delivery(_bank);
        await delivery.DeliverAsync("payments", approved, ct);
        var failed = (await _store.GetPayoutAsync(OrgId, approved.PayoutId, ct))!;
        var partner = (await _store.GetPartnerAsync(OrgId, failed.PartnerId, ct))!;
        await _store.TryUpdatePartnerAsync(partner with { PayoutAccountId = "acct_ok_reopened", Version = partner.Version + 1 }, ct);

        var retried = (await _payouts.ChangeAsync(OrgId, approved.PayoutId, null, (p, now) => p.MarkProcessing(Actor.User("finance-1"), now), ct)).Value;
        var processingEvent = Delivered((await _store.GetPayoutEventsAsync(OrgId, approved.PayoutId, retried.Version - 1, ct)).Single());
        await delivery.DeliverAsync("payments", processingEvent, ct);

        Assert.Equal(PayoutStatus.Failed, failed.Status);
        Assert.Equal("account_closed", failed.FailureCode);
        var paid = (await _store.GetPayoutAsync(OrgId, approved.PayoutId, ct))!;
        Assert.Equal(PayoutStatus.Paid, paid.Status);
        Assert.Equal(1, await TransferCountAsync());
    }

    [Theory]
    [InlineData(false, "acct_ok_4")]
    [InlineData(true, null)]
    public async Task Approved_WithoutAutomaticPaymentsOrAccount_StaysApproved(bool automaticPayments, string? account)
    {
        var approved = await ApprovedPayoutAsync(account, automaticPayments);

        await Delivery(_bank).DeliverAsync("payments", approved, TestContext.Current.CancellationToken);

        Assert.Equal(0, await TransferCountAsync());
        Assert.Equal(PayoutStatus.Approved, (await _store.GetPayoutAsync(OrgId, approved.PayoutId, TestContext.Current.CancellationToken))!.Status);
    }

    [Fact]
    public async Task Approved_PartnerWithoutVerifiedTaxForm_StaysApprovedUntilVerifiedAndReleasedThenIsPaidOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var approved = await ApprovedPayoutAsync("acct_ok_gate", requireVerifiedTaxForm: true);
        var delivery = Delivery(_bank);

        await delivery.DeliverAsync("payments", approved, ct);
        var held = (await _store.GetPayoutAsync(OrgId, approved.PayoutId, ct))!;
        var blocked = await _payouts.MarkProcessingAsync(OrgId, approved.PayoutId, null, Actor.User("finance-1"), ct);
        var partner = (await _store.GetPartnerAsync(OrgId, held.PartnerId, ct))!;
        await _store.TryUpdatePartnerAsync(partner with { TaxFormStatus = TaxFormStatus.Verified, Version = partner.Version + 1 }, ct);
        var released = (await _payouts.MarkProcessingAsync(OrgId, approved.PayoutId, null, Actor.User("finance-1"), ct)).Value;
        var processingEvent = Delivered((await _store.GetPayoutEventsAsync(OrgId, approved.PayoutId, released.Version - 1, ct)).Single());
        await delivery.DeliverAsync("payments", processingEvent, ct);
        await delivery.DeliverAsync("payments", approved, ct);

        Assert.Equal(PayoutStatus.Approved, held.Status);
        Assert.Equal(2, held.Version);
        Assert.Equal(FailureCode.PayeeNotPayable, blocked.Failure?.Code);
        Assert.Contains(_log.Messages, m => m.Contains(approved.PayoutId, StringComparison.Ordinal) && m.Contains("payee_not_payable", StringComparison.Ordinal));
        Assert.Equal(1, await TransferCountAsync());
        var paid = (await _store.GetPayoutAsync(OrgId, approved.PayoutId, ct))!;
        Assert.Equal(PayoutStatus.Paid, paid.Status);
        var history = await _store.GetPayoutEventsAsync(OrgId, approved.PayoutId, cancellationToken: ct);
        Assert.Equal([PayoutAction.Create, PayoutAction.Approve, PayoutAction.MarkProcessing, PayoutAction.MarkPaid], history.Select(e => e.Action));
        Assert.Equal(Actor.User("finance-1"), history[2].Actor);
    }

    [Fact]
    public async Task Approved_VerifiedPartnerUnderRequiredTaxForm_IsPaidAutomatically()
    {
        var approved = await ApprovedPayoutAsync("acct_ok_verified", requireVerifiedTaxForm: true, taxFormStatus: TaxFormStatus.Verified);

        await Delivery(_bank).DeliverAsync("payments", approved, TestContext.Current.CancellationToken);

        Assert.Equal(1, await TransferCountAsync());
        Assert.Equal(PayoutStatus.Paid, (await _store.GetPayoutAsync(OrgId, approved.PayoutId, TestContext.Current.CancellationToken))!.Status);
        Assert.Empty(_log.Messages);
    }

    private EventDelivery Delivery(IPaymentGateway gateway) =>
        new([new PaymentsConsumer(new PaymentService(_store, _payouts, gateway), _log)], _store);

    private async Task<DeliveredEvent> ApprovedPayoutAsync(
        string? account, bool automaticPayments = true, bool requireVerifiedTaxForm = false, TaxFormStatus taxFormStatus = TaxFormStatus.Missing)
    {
        var ct = TestContext.Current.CancellationToken;
        var now = DateTimeOffset.UtcNow;
        var partnerId = "pt_" + Guid.NewGuid().ToString("N")[..8];
        await _store.TryCreatePartnerAsync(new Partner(partnerId, OrgId, "P", "p@example.com", 1000, null, account, now, now, 1, taxFormStatus), ct);
        var settings = await _store.GetOrganizationAsync(OrgId, ct) ?? OrganizationSettings.Default(OrgId);
        await _store.TrySaveOrganizationAsync(settings with { AutomaticPayments = automaticPayments, RequireVerifiedTaxForm = requireVerifiedTaxForm, Version = settings.Version + 1 }, ct);
        var created = (await _payouts.CreateAsync(new NewPayout(OrgId, partnerId, new Money(9_900, Currency.Parse("EUR")), Period.Month(2026, 10), null, null), Actor.User("manager-1"), cancellationToken: ct)).Value;
        var approved = (await _payouts.ChangeAsync(OrgId, created.Id, null, (p, at) => p.Approve(Actor.User("approver-1"), ApprovalPolicy.Default, at), ct)).Value;
        return Delivered((await _store.GetPayoutEventsAsync(OrgId, approved.Id, 1, ct)).Single());
    }

    private static DeliveredEvent Delivered(PayoutEvent change) =>
        PayoutCloudEvents.Decode(PayoutCloudEvents.Encode(PayoutCloudEvents.ToCloudEvent(change)));

    private sealed class ListLogger : ILogger<PaymentsConsumer>
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add(formatter(state, exception));
            }
        }
    }

    /// <summary>Makes the transfer, then dies before anyone hears of it.</summary>
    private sealed class CrashAfterTransfer(IPaymentGateway inner) : IPaymentGateway
    {
        public string? LastTransferId { get; private set; }

        public async Task<TransferResult> TransferAsync(TransferRequest request, CancellationToken cancellationToken = default)
        {
            LastTransferId = (await inner.TransferAsync(request, cancellationToken)).TransferId;
            throw new IOException("Crashed after the transfer was made.");
        }

        public IAsyncEnumerable<ProviderTransfer> ListTransfersAsync(string orgId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
            inner.ListTransfersAsync(orgId, from, to, cancellationToken);

        public Task<ProviderTransfer?> GetTransferAsync(string orgId, string transferId, CancellationToken cancellationToken = default) =>
            inner.GetTransferAsync(orgId, transferId, cancellationToken);
    }
}
