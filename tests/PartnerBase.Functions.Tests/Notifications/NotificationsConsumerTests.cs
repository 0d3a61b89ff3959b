using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PartnerBase.Core;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Notifications;

namespace PartnerBase.Functions.Tests.Notifications;

/// <summary>The consumer with the real SMTP sender against tools/smtp-local, on the in-memory store.</summary>
public sealed class NotificationsConsumerTests(SmtpServer smtp) : IClassFixture<SmtpServer>
{
    private static readonly DateTimeOffset At = new(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly InMemoryPayoutStore _store = new(new FakeTimeProvider(At));
    private readonly string _orgId = $"org_{Guid.NewGuid():N}";
    private readonly string _partnerEmail = $"partner-{Guid.NewGuid():N}@example.test";
    private readonly string[] _approvers = [.. Enumerable.Range(1, 3).Select(i => $"approver{i}-{Guid.NewGuid():N}@example.test")];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Deliver_Approved_MailsPartnerWhoApprovedTheUsdAmount()
    {
        await SetUpAsync();
        var approved = Approve(Create(125_000, "USD"));

        Assert.Equal(DeliveryOutcome.Handled, await DeliverAsync(approved));

        var email = Assert.Single(await smtp.ReceivedByAsync(_partnerEmail));
        Assert.Equal($"Payout po_1 for Acme Ltd approved: USD 1,250.00 for 2026-07", email.Subject);
        Assert.Contains("Payout: po_1", email.Text, StringComparison.Ordinal);
        Assert.Contains("Partner: Acme Ltd (pt_acme)", email.Text, StringComparison.Ordinal);
        Assert.Contains("Period: 2026-07", email.Text, StringComparison.Ordinal);
        Assert.Contains("Amount: USD 1,250.00", email.Text, StringComparison.Ordinal);
        Assert.Contains("Approved by: approver_jane", email.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliver_Paid_MailsPartnerThePaymentReferenceAndJpyAmount()
    {
        await SetUpAsync();
        var paid = Approve(Create(1_250, "JPY")).Payout.MarkPaid(Actor.User("finance_joe"), "tr_123", At.AddMinutes(2)).Value;

        await DeliverAsync(paid);

        var email = Assert.Single(await smtp.ReceivedByAsync(_partnerEmail));
        Assert.Equal("Payout po_1 for Acme Ltd paid: JPY 1,250 for 2026-07", email.Subject);
        Assert.Contains("Amount: JPY 1,250", email.Text, StringComparison.Ordinal);
        Assert.Contains("Payment reference: tr_123", email.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliver_Failed_MailsPartnerTheFailureAndBhdAmount()
    {
        await SetUpAsync();
        var processing = Approve(Create(1_250, "BHD")).Payout.MarkProcessing(Actor.System, At.AddMinutes(2)).Value;
        var failed = processing.Payout.MarkFailed(Actor.System, "account_closed", "The destination account is closed.", At.AddMinutes(3)).Value;

        await DeliverAsync(failed);

        var email = Assert.Single(await smtp.ReceivedByAsync(_partnerEmail));
        Assert.Equal("Payout po_1 for Acme Ltd failed: BHD 1.250 for 2026-07", email.Subject);
        Assert.Contains("Amount: BHD 1.250", email.Text, StringComparison.Ordinal);
        Assert.Contains("Failure code: account_closed", email.Text, StringComparison.Ordinal);
        Assert.Contains("Failure message: The destination account is closed.", email.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliver_Created_MailsEachApproverOnceAndNotThePartner()
    {
        await SetUpAsync();
        var created = Create(125_000, "USD");
        await StoreAsync(created);

        await DeliverAsync(created);

        foreach (var approver in _approvers)
        {
            var email = Assert.Single(await smtp.ReceivedByAsync(approver));
            Assert.Equal("Payout po_1 for Acme Ltd awaits approval: USD 1,250.00 for 2026-07", email.Subject);
            Assert.Contains("Created by: manager_max", email.Text, StringComparison.Ordinal);
        }

        Assert.Empty(await smtp.ReceivedByAsync(_partnerEmail));
    }

    [Fact]
    public async Task Deliver_ApprovalRecorded_MailsTheRemainingApproversAndNotThePartner()
    {
        var (jane, sam) = ($"jane-{Guid.NewGuid():N}@example.test", $"sam-{Guid.NewGuid():N}@example.test");
        await SetUpAsync(approverEmails: [jane, sam]);
        var created = Create(125_000, "USD");
        var policy = ApprovalPolicy.Default with { DualApprovalAtOrAbove = new Dictionary<string, long> { ["USD"] = 100_000 } };
        var recorded = created.Payout.Approve(Actor.User(jane), policy, At.AddMinutes(1)).Value;
        await StoreAsync(created, recorded);

        await DeliverAsync(recorded);

        var email = Assert.Single(await smtp.ReceivedByAsync(sam));
        Assert.Equal("Payout po_1 for Acme Ltd awaits a second approval: USD 1,250.00 for 2026-07", email.Subject);
        Assert.Contains($"First approval by: {jane}", email.Text, StringComparison.Ordinal);
        Assert.Empty(await smtp.ReceivedByAsync(jane));
        Assert.Empty(await smtp.ReceivedByAsync(_partnerEmail));
    }

    [Fact]
    public async Task Deliver_CreatedOrFirstApprovalOfAPayoutNoLongerAwaitingIt_MailsNobody()
    {
        await SetUpAsync();
        var policy = ApprovalPolicy.Default with { DualApprovalAtOrAbove = new Dictionary<string, long> { ["USD"] = 100_000 } };
        var created = Create(125_000, "USD");
        var recorded = created.Payout.Approve(Actor.User("approver_jane"), policy, At.AddMinutes(1)).Value;
        var approved = recorded.Payout.Approve(Actor.User("approver_sam"), policy, At.AddMinutes(2)).Value;
        await StoreAsync(created, recorded, approved);
        var edited = Create(125_000, "USD", "po_2");
        var editedRecorded = edited.Payout.Approve(Actor.User("approver_jane"), policy, At.AddMinutes(1)).Value;
        await StoreAsync(edited, editedRecorded, editedRecorded.Payout.Update(new PayoutChanges(150_000, null, null, null, null), Actor.User("manager_max"), At.AddMinutes(2)).Value);

        foreach (var change in new[] { created, recorded, editedRecorded })
        {
            Assert.Equal(DeliveryOutcome.Handled, await DeliverAsync(change));
        }

        foreach (var approver in _approvers)
        {
            Assert.Empty(await smtp.ReceivedByAsync(approver));
        }
    }

    [Fact]
    public async Task Deliver_OtherEvents_MailsNobody()
    {
        await SetUpAsync();
        var created = Create(125_000, "USD");
        var updated = created.Payout.Update(new PayoutChanges(130_000, null, null, null, null), Actor.User("manager_max"), At.AddMinutes(1)).Value;
        var rejected = updated.Payout.Reject(Actor.User("approver_jane"), "Duplicate", At.AddMinutes(2)).Value;
        var deleted = Create(125_000, "USD", "po_2").Payout.Delete(Actor.User("manager_max"), At.AddMinutes(2)).Value;
        var processing = Approve(Create(125_000, "USD", "po_3")).Payout.MarkProcessing(Actor.User("finance_joe"), At.AddMinutes(2)).Value;

        foreach (var change in new[] { updated, rejected, deleted, processing })
        {
            Assert.Equal(DeliveryOutcome.Handled, await DeliverAsync(change));
        }

        Assert.Empty(await smtp.ReceivedByAsync(_partnerEmail));
        foreach (var approver in _approvers)
        {
            Assert.Empty(await smtp.ReceivedByAsync(approver));
        }
    }

    [Fact]
    public async Task Deliver_CreatedWithoutApproverEmails_MailsNobody()
    {
        await SetUpAsync(approverEmails: []);

        Assert.Equal(DeliveryOutcome.Handled, await DeliverAsync(Create(125_000, "USD")));

        Assert.Empty(await smtp.ReceivedByAsync(_partnerEmail));
    }

    [Fact]
    public async Task Deliver_SameEventThreeTimes_OneEmailPerRecipient()
    {
        await SetUpAsync();
        var created = Create(125_000, "USD");
        await StoreAsync(created);
        var delivery = Delivery(CreateConsumer(smtp.CreateSender()));

        var outcomes = new List<DeliveryOutcome>();
        for (var i = 0; i < 3; i++)
        {
            outcomes.Add(await delivery.DeliverAsync("notifications", Decode(created), Cancellation));
        }

        Assert.Equal([DeliveryOutcome.Handled, DeliveryOutcome.AlreadyHandled, DeliveryOutcome.AlreadyHandled], outcomes);
        foreach (var approver in _approvers)
        {
            Assert.Single(await smtp.ReceivedByAsync(approver));
        }
    }

    [Fact]
    public async Task HandleAsync_AgainAfterACrashBeforeTheEventWasMarked_SendsNoSecondEmail()
    {
        await SetUpAsync();
        var approved = Decode(Approve(Create(125_000, "USD")));
        var consumer = CreateConsumer(smtp.CreateSender());

        // Handling without EventDelivery's mark is what a crash between handling and marking leaves behind.
        await consumer.HandleAsync(approved, Cancellation);
        await consumer.HandleAsync(approved, Cancellation);

        Assert.Single(await smtp.ReceivedByAsync(_partnerEmail));
    }

    [Fact]
    public async Task Deliver_SendFailsForOneOfThreeApprovers_RedeliveryMailsOnlyThatOne()
    {
        await SetUpAsync();
        var stored = Create(125_000, "USD");
        await StoreAsync(stored);
        var created = Decode(stored);
        var sender = new FailingOnceSender(smtp.CreateSender(), _approvers[1]);
        var delivery = Delivery(CreateConsumer(sender));

        var failure = await Assert.ThrowsAsync<AggregateException>(() => delivery.DeliverAsync("notifications", created, Cancellation));
        Assert.Contains(created.Id, failure.Message, StringComparison.Ordinal);
        Assert.Single(await smtp.ReceivedByAsync(_approvers[0]));
        Assert.Empty(await smtp.ReceivedByAsync(_approvers[1]));
        Assert.Single(await smtp.ReceivedByAsync(_approvers[2]));

        Assert.Equal(DeliveryOutcome.Handled, await delivery.DeliverAsync("notifications", created, Cancellation));

        foreach (var approver in _approvers)
        {
            Assert.Single(await smtp.ReceivedByAsync(approver));
        }

        Assert.Equal([_approvers[0], _approvers[1], _approvers[2], _approvers[1]], sender.Attempts);
    }

    private async Task SetUpAsync(string[]? approverEmails = null)
    {
        Assert.True(await _store.TryCreatePartnerAsync(new Partner("pt_acme", _orgId, "Acme Ltd", _partnerEmail, 1_000, null, null, At, At, 1), Cancellation));
        Assert.True(await _store.TrySaveOrganizationAsync(new OrganizationSettings(_orgId, new Dictionary<string, long>(), false, approverEmails ?? _approvers, 1), Cancellation));
    }

    /// <summary>Saves a payout's events, oldest first, so that the store holds the payout as the last one left it.</summary>
    private async Task StoreAsync(params PayoutEvent[] chain)
    {
        Payout? current = null;
        foreach (var change in chain)
        {
            Assert.True(await _store.TrySaveChangeAsync(change, current, Cancellation));
            current = change.Payout;
        }
    }

    private PayoutEvent Create(long amount, string currency, string payoutId = "po_1") => Payout.Create(
        new PayoutDraft(payoutId, _orgId, "pt_acme", new Money(amount, Currency.Parse(currency)), Period.Month(2026, 7), null, null),
        Actor.User("manager_max"),
        At);

    private static PayoutEvent Approve(PayoutEvent created) => created.Payout.Approve(Actor.User("approver_jane"), ApprovalPolicy.Default, At.AddMinutes(1)).Value;

    /// <summary>The event as the subscription receives it: through the CloudEvent encoding.</summary>
    private static DeliveredEvent Decode(PayoutEvent change) =>
        PayoutCloudEvents.Decode(PayoutCloudEvents.Encode(PayoutCloudEvents.ToCloudEvent(change)));

    private NotificationsConsumer CreateConsumer(IEmailSender sender) => new(_store, sender, NullLogger<NotificationsConsumer>.Instance);

    private EventDelivery Delivery(NotificationsConsumer consumer) => new([consumer], _store);

    private Task<DeliveryOutcome> DeliverAsync(PayoutEvent change) =>
        Delivery(CreateConsumer(smtp.CreateSender())).DeliverAsync("notifications", Decode(change), Cancellation);

    /// <summary>Sends through the inner sender, except that the first send to <paramref name="failFor"/> throws.</summary>
    private sealed class FailingOnceSender(IEmailSender inner, string failFor) : IEmailSender
    {
        private bool _failed;

        public List<string> Attempts { get; } = [];

        public Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
        {
            Attempts.Add(message.To);
            if (message.To == failFor && !_failed)
            {
                _failed = true;
                throw new IOException($"The SMTP server refused {message.To}, as told.");
            }

            return inner.SendAsync(message, cancellationToken);
        }
    }
}
