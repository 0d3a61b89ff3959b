using System.Text.Json;
using PartnerBase.Core.Payouts;

namespace PartnerBase.Core.Tests.Payouts;

public class PayoutTests
{
    private static readonly Actor Alice = Actor.User("alice");
    private static readonly Actor Bob = Actor.User("bob");
    private static readonly Actor Carol = Actor.User("carol");

    private static DateTimeOffset Later => TestPayouts.Start.AddHours(1);

    [Fact]
    public void Create_ValidDraft_StartsPendingAtVersionOne()
    {
        var created = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start);

        Assert.Equal(PayoutStatus.PendingApproval, created.Payout.Status);
        Assert.Equal(1, created.Payout.Version);
        Assert.Equal("alice", created.Payout.CreatedBy);
        Assert.Equal(TestPayouts.Start, created.Payout.CreatedAt);
        Assert.Null(created.Payout.UpdatedBy);
        Assert.Empty(created.Payout.Metadata);
        Assert.Equal(PayoutAction.Create, created.Action);
        Assert.Null(created.PreviousStatus);
        Assert.Equal(1, created.Sequence);
        Assert.Equal("payout.created", created.Type);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    [InlineData(Money.MaxPayoutAmount + 1)]
    [InlineData(long.MaxValue)]
    public void Create_AmountOutOfRange_ThrowsArgumentOutOfRange(long amount)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Payout.Create(TestPayouts.Draft(amount: amount), Alice, TestPayouts.Start));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(Money.MaxPayoutAmount)]
    public void Create_AmountAtLimit_Succeeds(long amount)
    {
        var created = Payout.Create(TestPayouts.Draft(amount: amount), Alice, TestPayouts.Start);

        Assert.Equal(amount, created.Payout.Amount.MinorUnits);
    }

    [Fact]
    public void Approve_ByCreator_FailsWithSeparationOfDuties()
    {
        var payout = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout;

        var outcome = payout.Approve(Alice, ApprovalPolicy.Default, Later);

        Assert.Equal(FailureCode.SeparationOfDuties, outcome.Failure?.Code);
        Assert.Equal(PayoutStatus.PendingApproval, payout.Status);
        Assert.Equal(1, payout.Version);
    }

    [Fact]
    public void Approve_ByLastUpdater_FailsWithSeparationOfDuties()
    {
        var payout = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout
            .Update(new PayoutChanges(99_999, null, null, null, null), Bob, Later).Value.Payout;

        var outcome = payout.Approve(Bob, ApprovalPolicy.Default, Later.AddMinutes(1));

        Assert.Equal(FailureCode.SeparationOfDuties, outcome.Failure?.Code);
    }

    [Fact]
    public void Approve_ByUserWhoNeitherCreatedNorEdited_MovesToApproved()
    {
        var payout = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout
            .Update(new PayoutChanges(99_999, null, null, null, null), Bob, Later).Value.Payout;

        var approved = payout.Approve(Carol, ApprovalPolicy.Default, Later.AddMinutes(1)).Value.Payout;

        Assert.Equal(PayoutStatus.Approved, approved.Status);
        Assert.Equal("carol", approved.ApprovedBy);
        Assert.Equal(Later.AddMinutes(1), approved.ApprovedAt);
    }

    [Fact]
    public void Approve_BySystemOnCommissionRunPayout_MovesToApproved()
    {
        var payout = Payout.Create(TestPayouts.Draft(source: PayoutSource.CommissionRun), Actor.System, TestPayouts.Start).Payout;

        var outcome = payout.Approve(Actor.System, ApprovalPolicy.Default, Later);

        Assert.True(outcome.Succeeded, outcome.Failure?.Detail);
        Assert.Equal(PayoutStatus.Approved, outcome.Value.Payout.Status);
        Assert.Equal(Actor.SystemId, outcome.Value.Payout.ApprovedBy);
    }

    [Fact]
    public void Approve_ByUserOnCommissionRunPayout_MovesToApproved()
    {
        // The run's payouts have no human creator, so any approver may approve them (CONTRACT §2).
        var payout = Payout.Create(TestPayouts.Draft(source: PayoutSource.CommissionRun), Actor.System, TestPayouts.Start).Payout;

        var outcome = payout.Approve(Alice, ApprovalPolicy.Default, Later);

        Assert.True(outcome.Succeeded, outcome.Failure?.Detail);
    }

    [Fact]
    public void Update_EveryField_ChangesEachOne()
    {
        var payout = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout;
        var eur = Currency.Parse("EUR");
        Assert.True(Period.TryParse("2026-Q3", out var quarter));
        var metadata = new Dictionary<string, string> { ["invoice"] = "inv_42" };

        var change = payout.Update(new PayoutChanges(25_000, eur, quarter, "second draft", metadata), Bob, Later).Value;

        Assert.Equal(new Money(25_000, eur), change.Payout.Amount);
        Assert.Equal(quarter, change.Payout.Period);
        Assert.Equal("second draft", change.Payout.Notes);
        Assert.Equal("inv_42", Assert.Single(change.Payout.Metadata).Value);
        Assert.Equal("bob", change.Payout.UpdatedBy);
        Assert.Equal(Later, change.Payout.UpdatedAt);
        Assert.Equal(TestPayouts.Start, change.Payout.CreatedAt);
        Assert.Equal(PayoutStatus.PendingApproval, change.Payout.Status);
    }

    [Fact]
    public void Update_NullFields_KeepsThem()
    {
        var payout = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout;

        var updated = payout.Update(new PayoutChanges(null, null, null, null, null), Bob, Later).Value.Payout;

        Assert.Equal(payout.Amount, updated.Amount);
        Assert.Equal(payout.Period, updated.Period);
        Assert.Equal("first draft", updated.Notes);
        Assert.Same(payout.Metadata, updated.Metadata);
    }

    [Fact]
    public void Update_AmountOnly_KeepsCurrency()
    {
        var payout = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout;

        var updated = payout.Update(new PayoutChanges(42, null, null, null, null), Bob, Later).Value.Payout;

        Assert.Equal(new Money(42, TestPayouts.Usd), updated.Amount);
    }

    [Fact]
    public void Update_EmptyNotes_ClearsNotes()
    {
        var payout = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout;

        var updated = payout.Update(new PayoutChanges(null, null, null, "", null), Bob, Later).Value.Payout;

        Assert.Null(updated.Notes);
    }

    [Fact]
    public void MarkPaid_WithReference_SetsReferenceAndPaidAt()
    {
        var approved = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout.Approve(Bob, ApprovalPolicy.Default, Later).Value.Payout;

        var paid = approved.MarkPaid(Carol, "tr_1", Later.AddMinutes(5)).Value.Payout;

        Assert.Equal("tr_1", paid.PaymentReference);
        Assert.Equal(Later.AddMinutes(5), paid.PaidAt);
    }

    [Fact]
    public void MarkProcessing_AfterAFailure_ClearsTheFailureFromThePayout()
    {
        var failed = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout
            .Approve(Bob, ApprovalPolicy.Default, Later).Value.Payout
            .MarkProcessing(Carol, Later.AddMinutes(1)).Value.Payout
            .MarkFailed(Carol, "account_closed", "Account closed", Later.AddMinutes(2)).Value.Payout;

        var retried = failed.MarkProcessing(Carol, Later.AddMinutes(3)).Value;
        var paid = retried.Payout.MarkPaid(Carol, "tr_2", Later.AddMinutes(4)).Value.Payout;

        Assert.Equal(PayoutStatus.Failed, retried.PreviousStatus);
        Assert.Equal(Later.AddMinutes(3), paid.ProcessingAt);
        Assert.Null(paid.FailedAt);
        Assert.Null(paid.FailureCode);
        Assert.Null(paid.FailureMessage);
        Assert.Equal("tr_2", paid.PaymentReference);
    }

    [Fact]
    public void MarkPaid_NullReference_KeepsEarlierReference()
    {
        var processing = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout
            .Approve(Bob, ApprovalPolicy.Default, Later).Value.Payout
            .MarkProcessing(Carol, Later.AddMinutes(1)).Value.Payout;

        // No transition sets a reference before mark-paid, so only stored state can carry one: build it the way a store reads it back.
        var document = JsonSerializer.SerializeToNode(processing)!;
        document[nameof(Payout.PaymentReference)] = "tr_from_provider";
        var withReference = document.Deserialize<Payout>()!;

        var paid = withReference.MarkPaid(Carol, null, Later.AddMinutes(2)).Value.Payout;

        Assert.Equal(PayoutStatus.Paid, paid.Status);
        Assert.Equal("tr_from_provider", paid.PaymentReference);
    }

    [Fact]
    public void Id_OfEachEvent_IsPayoutIdAndZeroPaddedVersion()
    {
        var created = Payout.Create(TestPayouts.Draft(id: "po_abc"), Alice, TestPayouts.Start);
        var approved = created.Payout.Approve(Bob, ApprovalPolicy.Default, Later).Value;

        Assert.Equal("po_abc-00000001", created.Id);
        Assert.Equal("po_abc-00000002", approved.Id);
    }

    [Fact]
    public void IdFor_VersionBeyondEightDigits_KeepsEveryDigit()
    {
        Assert.Equal("po_abc-123456789", PayoutEvent.IdFor("po_abc", 123_456_789));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(Money.MaxPayoutAmount + 1)]
    public void Update_AmountOutOfRange_ThrowsArgumentOutOfRange(long amount)
    {
        var payout = Payout.Create(TestPayouts.Draft(), Actor.User("alice"), TestPayouts.Start).Payout;

        Assert.Throws<ArgumentOutOfRangeException>(() => payout.Update(new PayoutChanges(amount, null, null, null, null), Actor.User("bob"), TestPayouts.Start));
    }

    // The contract makes every illegal (status, action) pair a 409, whoever asks.
    [Fact]
    public void Approve_ByCreatorWhenAlreadyApproved_FailsWithInvalidTransition()
    {
        var payout = Payout.Create(TestPayouts.Draft(), Actor.User("alice"), TestPayouts.Start).Payout;
        var approved = payout.Approve(Actor.User("bob"), ApprovalPolicy.Default, TestPayouts.Start).Value.Payout;

        var outcome = approved.Approve(Actor.User("alice"), ApprovalPolicy.Default, TestPayouts.Start);

        Assert.Equal(FailureCode.InvalidTransition, outcome.Failure?.Code);
    }

    [Fact]
    public void Approve_EarlierEditorAfterAnotherEdit_FailsWithSeparationOfDuties()
    {
        var payout = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout
            .Update(new PayoutChanges(20_000, null, null, null, null), Bob, Later).Value.Payout
            .Update(new PayoutChanges(null, null, null, "notes only", null), Carol, Later).Value.Payout;

        var outcome = payout.Approve(Bob, ApprovalPolicy.Default, Later);

        Assert.Equal(FailureCode.SeparationOfDuties, outcome.Failure?.Code);
    }

    [Fact]
    public void Approve_FirstOfTwoThenSecondByAnother_RecordsThenApprovesWithBothListed()
    {
        var payout = Payout.Create(TestPayouts.Draft(amount: 10_000), Alice, TestPayouts.Start).Payout;
        var policy = TestPayouts.DualFor(payout.Amount);

        var first = payout.Approve(Bob, policy, Later).Value;
        var second = first.Payout.Approve(Carol, policy, Later.AddMinutes(1)).Value;

        Assert.Equal((PayoutAction.RecordApproval, PayoutStatus.PendingApproval, 2L), (first.Action, first.Payout.Status, first.Payout.Version));
        Assert.Equal("payout.approval_recorded", first.Type);
        Assert.Null(first.Payout.ApprovedBy);
        Assert.Equal((PayoutAction.Approve, PayoutStatus.Approved, "carol"), (second.Action, second.Payout.Status, second.Payout.ApprovedBy));
        Assert.Equal([new PayoutApproval("bob", Later), new PayoutApproval("carol", Later.AddMinutes(1))], second.Payout.Approvals);
    }

    [Fact]
    public void Approve_SameUserTwiceUnderDualPolicy_FailsWithDuplicateApproval()
    {
        var payout = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout;
        var policy = TestPayouts.DualFor(payout.Amount);
        var recorded = payout.Approve(Bob, policy, Later).Value.Payout;

        var outcome = recorded.Approve(Bob, policy, Later);

        Assert.Equal(FailureCode.DuplicateApproval, outcome.Failure?.Code);
    }

    [Fact]
    public void Approve_RecordedThenPolicyLowered_TheSecondCallUnderTheNewPolicyApproves()
    {
        var payout = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout;
        var recorded = payout.Approve(Bob, TestPayouts.DualFor(payout.Amount), Later).Value.Payout;

        var outcome = recorded.Approve(Bob, ApprovalPolicy.Default, Later);

        Assert.Equal(PayoutStatus.Approved, outcome.Value.Payout.Status);
        Assert.Equal(["bob"], outcome.Value.Payout.Approvals.Select(a => a.By));
    }

    [Fact]
    public void Update_AfterFirstApproval_ClearsApprovals()
    {
        var payout = Payout.Create(TestPayouts.Draft(), Alice, TestPayouts.Start).Payout;
        var recorded = payout.Approve(Bob, TestPayouts.DualFor(payout.Amount), Later).Value.Payout;

        var edited = recorded.Update(new PayoutChanges(null, null, null, "edited", null), Carol, Later).Value.Payout;

        Assert.Empty(edited.Approvals);
        Assert.Equal(["carol"], edited.EditedBy);
    }

    [Theory]
    [InlineData(PayoutSource.CommissionRun, 9_999, true)]
    [InlineData(PayoutSource.CommissionRun, 10_000, false)]
    [InlineData(PayoutSource.Manual, 9_999, false)]
    public void ApproveAutomatically_OnlyCommissionRunPayoutsBelowTheThreshold(PayoutSource source, long amount, bool approved)
    {
        var payout = Payout.Create(TestPayouts.Draft(amount: amount, source: source), Actor.System, TestPayouts.Start).Payout;
        var policy = ApprovalPolicy.Default with { AutoApproveBelow = new Dictionary<string, long> { ["USD"] = 10_000 } };

        var outcome = payout.ApproveAutomatically(policy, Later);

        Assert.Equal(approved, outcome.Succeeded);
        if (approved)
        {
            Assert.Equal((PayoutStatus.Approved, "system", ActorKind.System), (outcome.Value.Payout.Status, outcome.Value.Payout.ApprovedBy, outcome.Value.Actor.Kind));
            Assert.Equal(["system"], outcome.Value.Payout.Approvals.Select(a => a.By));
        }
    }

    [Fact]
    public void ApproveAutomatically_AmountAlsoAtDualThreshold_IsLeftForTwoApprovers()
    {
        var payout = Payout.Create(TestPayouts.Draft(amount: 5_000, source: PayoutSource.CommissionRun), Actor.System, TestPayouts.Start).Payout;
        var policy = new ApprovalPolicy(new Dictionary<string, long> { ["USD"] = 5_000 }, new Dictionary<string, long> { ["USD"] = 10_000 });

        Assert.False(payout.ApproveAutomatically(policy, Later).Succeeded);
    }

    [Fact]
    public void ApproveAutomatically_AfterAnEdit_DoesNothing()
    {
        var payout = Payout.Create(TestPayouts.Draft(amount: 5_000, source: PayoutSource.CommissionRun), Actor.System, TestPayouts.Start).Payout
            .Update(new PayoutChanges(null, null, null, "checked", null), Bob, Later).Value.Payout;
        var policy = ApprovalPolicy.Default with { AutoApproveBelow = new Dictionary<string, long> { ["USD"] = 10_000 } };

        Assert.False(payout.ApproveAutomatically(policy, Later).Succeeded);
    }
}
