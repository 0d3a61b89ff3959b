using Microsoft.Extensions.Time.Testing;
using PartnerBase.Core;
using PartnerBase.Core.Commissions;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payments;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Reconciliation;
using PartnerBase.Core.Statements;
using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Tests.Storage;

/// <summary>
/// What every <see cref="IPayoutStore"/> must do. A subclass supplies the store. Stores may share their backing
/// data between tests (one Cosmos container), so each test works in an organization of its own and never counts
/// globally; stores may return copies, so nothing here relies on object identity; time moves only with the fake clock.
/// </summary>
public abstract class PayoutStoreContractTests
{
    private static readonly DateTimeOffset Start = new(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly Actor Manager = Actor.User("manager-1");
    private static readonly Actor Approver = Actor.User("approver-1");
    private static readonly Currency Usd = Currency.Parse("USD");
    private static readonly Currency Eur = Currency.Parse("EUR");
    private static readonly Currency Jpy = Currency.Parse("JPY");
    private static readonly Period July = Period.Month(2026, 7);
    private static readonly Period ThirdQuarter = ParsePeriod("2026-Q3");

    // Bounds the event log reads of one test: the log is shared by every test of a run.
    private const int MaxEventLogReads = 500;

    private readonly FakeTimeProvider _time;
    private readonly IPayoutStore _store;

    protected PayoutStoreContractTests()
    {
        _time = new FakeTimeProvider(Start);
        _store = CreateStore(_time);
    }

    /// <summary>
    /// Ids that are legal for the port but awkward for document databases: path separators, query and fragment
    /// characters, and more than Cosmos DB's 255-character id limit.
    /// </summary>
    public static TheoryData<string> AwkwardIds { get; } = new() { "a/b", "a\\b", "a?b", "a#b", "po_" + new string('x', 297) };

    /// <summary>Idempotency-Key header values the API accepts (up to 255 characters) that a document id cannot hold as they are.</summary>
    public static TheoryData<string> AwkwardIdempotencyKeys { get; } = new() { "a/b", "a\\b", "a?b", "a#b", new string('k', 255) };

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>
    /// Called once per test from this constructor, with the test's fake clock: before a subclass's constructor body
    /// runs, so take what the store needs from primary-constructor parameters or fixtures, not from fields set there.
    /// </summary>
    protected abstract IPayoutStore CreateStore(TimeProvider timeProvider);

    [Fact]
    public async Task GetPayoutAsync_UnknownId_ReturnsNull()
    {
        var orgId = NewOrgId();
        await CreatePayoutAsync(orgId, "po_1");

        Assert.Null(await _store.GetPayoutAsync(orgId, "po_2", Cancellation));
    }

    [Fact]
    public async Task GetPayoutAsync_IdOfAnotherOrganization_ReturnsNull()
    {
        var orgId = NewOrgId();
        await CreatePayoutAsync(orgId, "po_1");

        Assert.Null(await _store.GetPayoutAsync(NewOrgId(), "po_1", Cancellation));
    }

    [Theory]
    [MemberData(nameof(AwkwardIds), MemberType = typeof(PayoutStoreContractTests))]
    public async Task GetPayoutAsync_AwkwardId_ReturnsNull(string payoutId)
    {
        // Ids come straight from the URL; a store that builds a document path or query from them must not throw.
        var orgId = NewOrgId();
        await CreatePayoutAsync(orgId, "a");

        Assert.Null(await _store.GetPayoutAsync(orgId, payoutId, Cancellation));
    }

    [Fact]
    public async Task TrySaveChangeAsync_Create_StoresPayoutAndItsEvent()
    {
        var orgId = NewOrgId();
        var draft = Draft(orgId, "po_1") with { Notes = "July commissions", Metadata = new Dictionary<string, string> { ["campaign"] = "summer" } };
        var created = Payout.Create(draft, Manager, Now);

        Assert.True(await _store.TrySaveChangeAsync(created, current: null, Cancellation));

        AssertSamePayout(created.Payout, await _store.GetPayoutAsync(orgId, "po_1", Cancellation));
        AssertSameEvents([created], await _store.GetPayoutEventsAsync(orgId, "po_1", cancellationToken: Cancellation));
    }

    [Fact]
    public async Task TrySaveChangeAsync_DuplicateCreate_ReturnsFalseAndKeepsFirst()
    {
        var orgId = NewOrgId();
        var first = await CreatePayoutAsync(orgId, "po_1");

        var duplicate = Payout.Create(Draft(orgId, "po_1", amount: 777), Approver, Now);

        Assert.False(await _store.TrySaveChangeAsync(duplicate, current: null, Cancellation));
        AssertSamePayout(first, await _store.GetPayoutAsync(orgId, "po_1", Cancellation));
        Assert.Single(await _store.GetPayoutEventsAsync(orgId, "po_1", cancellationToken: Cancellation));
    }

    [Fact]
    public async Task TrySaveChangeAsync_StaleCurrent_ReturnsFalseAndWritesNothing()
    {
        var orgId = NewOrgId();
        var created = await CreatePayoutAsync(orgId, "po_1");
        var approved = created.Approve(Approver, ApprovalPolicy.Default, Now).Value;
        Assert.True(await _store.TrySaveChangeAsync(approved, created, Cancellation));

        // Decided from version 1 while another writer already moved the payout to version 2.
        var rejected = created.Reject(Approver, "late", Now).Value;

        Assert.False(await _store.TrySaveChangeAsync(rejected, created, Cancellation));
        AssertSamePayout(approved.Payout, await _store.GetPayoutAsync(orgId, "po_1", Cancellation));
        var events = await _store.GetPayoutEventsAsync(orgId, "po_1", cancellationToken: Cancellation);
        Assert.Equal([PayoutAction.Create, PayoutAction.Approve], events.Select(change => change.Action));
        Assert.Equal(2, (await _store.ListEventsAsync(orgId, payoutId: null, new PageRequest(10), Cancellation)).Items.Count);
    }

    [Fact]
    public async Task TrySaveChangeAsync_ChangeOfPayoutNeverSaved_ReturnsFalseAndWritesNothing()
    {
        var orgId = NewOrgId();
        var unsaved = Payout.Create(Draft(orgId, "po_1"), Manager, Now).Payout;

        Assert.False(await _store.TrySaveChangeAsync(unsaved.Approve(Approver, ApprovalPolicy.Default, Now).Value, unsaved, Cancellation));

        Assert.Null(await _store.GetPayoutAsync(orgId, "po_1", Cancellation));
        Assert.Empty(await _store.GetPayoutEventsAsync(orgId, "po_1", cancellationToken: Cancellation));
    }

    [Fact]
    public async Task TrySaveChangeAsync_SuccessiveChanges_RecordsEveryStepInOrder()
    {
        var orgId = NewOrgId();
        var created = Payout.Create(Draft(orgId, "po_1"), Manager, Now);
        Assert.True(await _store.TrySaveChangeAsync(created, current: null, Cancellation));
        var changes = new List<PayoutEvent> { created };
        var steps = new Func<Payout, Outcome<PayoutEvent>>[]
        {
            payout => payout.Update(new PayoutChanges(12_000, Eur, null, "raised", null), Manager, Now),
            payout => payout.Approve(Approver, ApprovalPolicy.Default, Now),
            payout => payout.MarkProcessing(Actor.System, Now),
            payout => payout.MarkFailed(Actor.System, "account_closed", "Account closed", Now),
            payout => payout.MarkProcessing(Actor.System, Now),
            payout => payout.MarkPaid(Actor.System, "tr_123", Now),
        };

        foreach (var step in steps)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            var change = step(changes[^1].Payout).Value;
            Assert.True(await _store.TrySaveChangeAsync(change, changes[^1].Payout, Cancellation), $"{change.Action} was not saved.");
            changes.Add(change);
        }

        AssertSamePayout(changes[^1].Payout, await _store.GetPayoutAsync(orgId, "po_1", Cancellation));
        AssertSameEvents(changes, await _store.GetPayoutEventsAsync(orgId, "po_1", cancellationToken: Cancellation));
    }

    [Fact]
    public async Task TrySaveChangeAsync_Delete_RemovesPayoutButKeepsEvents()
    {
        var orgId = NewOrgId();
        var created = await CreatePayoutAsync(orgId, "po_1");
        _time.Advance(TimeSpan.FromMinutes(1));
        var deleted = created.Delete(Manager, Now).Value;

        Assert.True(await _store.TrySaveChangeAsync(deleted, created, Cancellation));

        Assert.Null(await _store.GetPayoutAsync(orgId, "po_1", Cancellation));
        Assert.Empty((await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(10), Cancellation)).Items);
        Assert.Empty(await _store.GetPayoutsAsync(orgId, PayoutFilter.All, cancellationToken: Cancellation).ToListAsync(Cancellation));
        Assert.Empty(await _store.GetPayoutTotalsAsync(orgId, PayoutFilter.All, Cancellation));
        var events = await _store.GetPayoutEventsAsync(orgId, "po_1", cancellationToken: Cancellation);
        Assert.Equal([PayoutAction.Create, PayoutAction.Delete], events.Select(change => change.Action));
        AssertSameEvents([deleted], (await _store.ListEventsAsync(orgId, "po_1", new PageRequest(1), Cancellation)).Items);
        Assert.Equal(2, (await _store.ListEventsAsync(orgId, payoutId: null, new PageRequest(10), Cancellation)).Items.Count);
    }

    [Fact]
    public async Task TrySaveChangeAsync_CreateAfterDelete_ReturnsFalse()
    {
        var orgId = NewOrgId();
        var created = await CreatePayoutAsync(orgId, "po_1");
        Assert.True(await _store.TrySaveChangeAsync(created.Delete(Manager, Now).Value, created, Cancellation));

        // Reusing the id would append a second history to the kept audit trail of the deleted payout.
        var again = Payout.Create(Draft(orgId, "po_1"), Manager, Now);

        Assert.False(await _store.TrySaveChangeAsync(again, current: null, Cancellation));
        Assert.Null(await _store.GetPayoutAsync(orgId, "po_1", Cancellation));
        Assert.Equal(2, (await _store.GetPayoutEventsAsync(orgId, "po_1", cancellationToken: Cancellation)).Count);
    }

    [Fact]
    public async Task TrySaveChangeAsync_ChangeDecidedBeforeDelete_ReturnsFalse()
    {
        var orgId = NewOrgId();
        var created = await CreatePayoutAsync(orgId, "po_1");
        Assert.True(await _store.TrySaveChangeAsync(created.Delete(Manager, Now).Value, created, Cancellation));

        Assert.False(await _store.TrySaveChangeAsync(created.Approve(Approver, ApprovalPolicy.Default, Now).Value, created, Cancellation));

        Assert.Null(await _store.GetPayoutAsync(orgId, "po_1", Cancellation));
        Assert.Equal(2, (await _store.GetPayoutEventsAsync(orgId, "po_1", cancellationToken: Cancellation)).Count);
    }

    [Fact]
    public async Task TrySaveChangeAsync_SixteenParallelChangesFromSameState_ExactlyOneWins()
    {
        var orgId = NewOrgId();
        var current = await CreatePayoutAsync(orgId, "po_1");
        _time.Advance(TimeSpan.FromMinutes(1));
        var decisions = Enumerable.Range(0, 16)
            .Select(i => (i % 4) switch
            {
                0 => current.Approve(Actor.User($"approver-{i}"), ApprovalPolicy.Default, Now),
                1 => current.Reject(Actor.User($"approver-{i}"), $"reason {i}", Now),
                2 => current.Update(new PayoutChanges(10_000 + i, null, null, $"note {i}", null), Actor.User($"editor-{i}"), Now),
                _ => current.Delete(Actor.User($"manager-{i}"), Now),
            })
            .Select(decision => decision.Value)
            .ToList();

        // Task.Run so that the saves overlap instead of running one after another on the test's thread.
        var saved = await Task.WhenAll(decisions.Select(change =>
            Task.Run(() => _store.TrySaveChangeAsync(change, current, Cancellation), Cancellation)));

        Assert.Single(saved, won => won);
        var winner = decisions[Array.IndexOf(saved, true)];
        AssertSameEvents([winner], await _store.GetPayoutEventsAsync(orgId, "po_1", afterVersion: 1, Cancellation));
        var stored = await _store.GetPayoutAsync(orgId, "po_1", Cancellation);
        if (winner.Action == PayoutAction.Delete)
        {
            Assert.Null(stored);
        }
        else
        {
            AssertSamePayout(winner.Payout, stored);
        }
    }

    [Fact]
    public async Task TrySaveChangeAsync_SameIdInAnotherOrganization_IsIndependent()
    {
        var orgId = NewOrgId();
        var otherOrgId = NewOrgId();
        var mine = await CreatePayoutAsync(orgId, "po_1");
        var theirs = await CreatePayoutAsync(otherOrgId, "po_1", amount: 555);

        Assert.True(await _store.TrySaveChangeAsync(theirs.Delete(Manager, Now).Value, theirs, Cancellation));

        AssertSamePayout(mine, await _store.GetPayoutAsync(orgId, "po_1", Cancellation));
        Assert.Single(await _store.GetPayoutEventsAsync(orgId, "po_1", cancellationToken: Cancellation));
        Assert.Null(await _store.GetPayoutAsync(otherOrgId, "po_1", Cancellation));
    }

    [Fact]
    public async Task ListPayoutsAsync_CreatedAtDifferentTimes_ReturnsNewestFirst()
    {
        var orgId = NewOrgId();
        // Ids deliberately out of time order, so that ordering by id alone would fail.
        foreach (var id in new[] { "po_c", "po_a", "po_b" })
        {
            await CreatePayoutAsync(orgId, id);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        var page = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(10), Cancellation);

        Assert.Equal(["po_b", "po_a", "po_c"], page.Items.Select(payout => payout.Id));
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task ListPayoutsAsync_SameCreatedAt_BreaksTieByIdDescending()
    {
        var orgId = NewOrgId();
        // Commission runs create many payouts in the same instant; a page boundary inside such a tie must lose nothing.
        foreach (var id in new[] { "po_a", "po_c", "po_b" })
        {
            await CreatePayoutAsync(orgId, id);
        }

        var first = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(2), Cancellation);
        var second = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(2, first.Next), Cancellation);

        Assert.Equal(["po_c", "po_b"], first.Items.Select(payout => payout.Id));
        Assert.Equal(["po_a"], second.Items.Select(payout => payout.Id));
        Assert.Null(second.Next);
    }

    [Fact]
    public async Task ListPayoutsAsync_PagesOfTwo_ReturnEveryPayoutOnceNewestFirst()
    {
        var orgId = NewOrgId();
        await CreatePayoutsAsync(orgId, "po_1", "po_2", "po_3", "po_4", "po_5");

        var first = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(2), Cancellation);
        var second = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(2, first.Next), Cancellation);
        var third = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(2, second.Next), Cancellation);

        Assert.Equal(["po_5", "po_4"], first.Items.Select(payout => payout.Id));
        Assert.Equal(["po_3", "po_2"], second.Items.Select(payout => payout.Id));
        Assert.Equal(["po_1"], third.Items.Select(payout => payout.Id));
        Assert.NotNull(first.Next);
        Assert.NotNull(second.Next);
        Assert.Null(third.Next);
    }

    [Fact]
    public async Task ListPayoutsAsync_LastPageExactlyFull_HasNoNext()
    {
        // A Next on the last page would send clients a cursor that leads to an empty page.
        var orgId = NewOrgId();
        await CreatePayoutsAsync(orgId, "po_1", "po_2", "po_3", "po_4");

        var first = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(2), Cancellation);
        var second = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(2, first.Next), Cancellation);

        Assert.NotNull(first.Next);
        Assert.Equal(["po_2", "po_1"], second.Items.Select(payout => payout.Id));
        Assert.Null(second.Next);
    }

    [Fact]
    public async Task ListPayoutsAsync_PageKeyTakenBeforeNewPayouts_YieldsSameNextPage()
    {
        var orgId = NewOrgId();
        await CreatePayoutsAsync(orgId, "po_1", "po_2", "po_3", "po_4", "po_5");

        var first = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(2), Cancellation);
        var before = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(2, first.Next), Cancellation);

        await CreatePayoutsAsync(orgId, "po_6", "po_7");
        var after = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(2, first.Next), Cancellation);

        Assert.Equal(before.Items.Select(payout => payout.Id), after.Items.Select(payout => payout.Id));
        Assert.Equal(before.Next, after.Next);
    }

    [Fact]
    public async Task ListPayoutsAsync_PageKeyOfDeletedPayout_ContinuesAfterIt()
    {
        var orgId = NewOrgId();
        var payouts = await CreatePayoutsAsync(orgId, "po_1", "po_2", "po_3", "po_4", "po_5");
        var first = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(2), Cancellation);

        // The page key points at po_4; deleting it between two page requests must not restart or skip.
        var boundary = payouts.Single(payout => payout.Id == "po_4");
        Assert.True(await _store.TrySaveChangeAsync(boundary.Delete(Manager, Now).Value, boundary, Cancellation));
        var second = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(2, first.Next), Cancellation);

        Assert.Equal(["po_3", "po_2"], second.Items.Select(payout => payout.Id));
        Assert.NotNull(second.Next);
    }

    [Theory]
    [InlineData(30L, "po_zzz", new[] { "po_1" })]
    [InlineData(60L, "po_1x", new[] { "po_1" })]
    [InlineData(60L, "po_3", new[] { "po_2", "po_1" })]
    [InlineData(315_360_000L, "", new[] { "po_3", "po_2", "po_1" })]
    [InlineData(-1_000_000_000L, "po_1", new string[0])]
    public async Task ListPayoutsAsync_PageKeyOfNoStoredItem_StartsRightAfterItsPosition(long secondsAfterStart, string id, string[] expectedIds)
    {
        // Cursors come back from clients as (time, id) and need not name a stored payout; the key's place in the
        // order decides, even between two items or at a tie.
        var orgId = NewOrgId();
        await CreatePayoutsAsync(orgId, "po_1", "po_2", "po_3");
        var after = new PageKey(Start.AddSeconds(secondsAfterStart), id);

        var page = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(10, after), Cancellation);

        Assert.Equal(expectedIds, page.Items.Select(payout => payout.Id));
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task ListPayoutsAsync_UpdatedPayout_KeepsItsCreationPosition()
    {
        var orgId = NewOrgId();
        var payouts = await CreatePayoutsAsync(orgId, "po_1", "po_2");

        // Newest first means newest created, not most recently changed.
        await SaveAsync(payouts[0], payouts[0].Approve(Approver, ApprovalPolicy.Default, Now));

        var page = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(10), Cancellation);

        Assert.Equal(["po_2", "po_1"], page.Items.Select(payout => payout.Id));
        Assert.Equal(PayoutStatus.Approved, page.Items[1].Status);
    }

    [Fact]
    public async Task ListPayoutsAsync_StatusFilter_ReturnsOnlyThoseStatuses()
    {
        var orgId = NewOrgId();
        var payouts = await CreatePayoutsAsync(orgId, "po_1", "po_2", "po_3", "po_4");
        await SaveAsync(payouts[1], payouts[1].Approve(Approver, ApprovalPolicy.Default, Now));
        await PayAsync(payouts[2]);
        await SaveAsync(payouts[3], payouts[3].Reject(Approver, "duplicate", Now));
        var filter = new PayoutFilter(Statuses: new HashSet<PayoutStatus> { PayoutStatus.Approved, PayoutStatus.Paid });

        var page = await _store.ListPayoutsAsync(orgId, filter, new PageRequest(10), Cancellation);

        Assert.Equal(["po_3", "po_2"], page.Items.Select(payout => payout.Id));
        Assert.Equal([PayoutStatus.Paid, PayoutStatus.Approved], page.Items.Select(payout => payout.Status));
    }

    [Fact]
    public async Task ListPayoutsAsync_PartnerFilter_ReturnsOnlyThatPartner()
    {
        var orgId = NewOrgId();
        await CreatePayoutAsync(orgId, "po_1", partnerId: "pt_1");
        await CreatePayoutAsync(orgId, "po_2", partnerId: "pt_2");
        await CreatePayoutAsync(orgId, "po_3", partnerId: "pt_1");
        // A partner id that another one starts with must not match by prefix.
        await CreatePayoutAsync(orgId, "po_4", partnerId: "pt_10");

        var page = await _store.ListPayoutsAsync(orgId, new PayoutFilter(PartnerId: "pt_1"), new PageRequest(10), Cancellation);

        Assert.Equal(["po_3", "po_1"], page.Items.Select(payout => payout.Id));
    }

    [Theory]
    [InlineData("2026-07", "po_month")]
    [InlineData("2026-Q3", "po_quarter")]
    [InlineData("2026-08", null)]
    public async Task ListPayoutsAsync_PeriodFilter_MatchesOnlyThatExactPeriod(string period, string? expectedId)
    {
        // July lies inside Q3, but a quarter payout and a month payout are different periods.
        var orgId = NewOrgId();
        await CreatePayoutAsync(orgId, "po_month", period: July);
        await CreatePayoutAsync(orgId, "po_quarter", period: ThirdQuarter);
        string[] expected = expectedId is null ? [] : [expectedId];

        var page = await _store.ListPayoutsAsync(orgId, new PayoutFilter(Period: ParsePeriod(period)), new PageRequest(10), Cancellation);

        Assert.Equal(expected, page.Items.Select(payout => payout.Id));
    }

    [Fact]
    public async Task ListPayoutsAsync_FilteredPagesOfTwo_ReturnEveryMatchOnce()
    {
        // Non-matching payouts between the matching ones must neither end a page early nor leak into it.
        var orgId = NewOrgId();
        for (var i = 1; i <= 9; i++)
        {
            await CreatePayoutAsync(orgId, $"po_{i}", partnerId: i % 2 == 1 ? "pt_1" : "pt_2");
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        var filter = new PayoutFilter(PartnerId: "pt_1");
        var pages = new List<Page<Payout>> { await _store.ListPayoutsAsync(orgId, filter, new PageRequest(2), Cancellation) };
        while (pages[^1].Next is { } next && pages.Count < 10)
        {
            pages.Add(await _store.ListPayoutsAsync(orgId, filter, new PageRequest(2, next), Cancellation));
        }

        Assert.Equal([2, 2, 1], pages.Select(page => page.Items.Count));
        Assert.Equal(["po_9", "po_7", "po_5", "po_3", "po_1"], pages.SelectMany(page => page.Items).Select(payout => payout.Id));
    }

    [Fact]
    public async Task ListPayoutsAsync_OtherOrganizations_NeverAppear()
    {
        var orgId = NewOrgId();
        var otherOrgId = NewOrgId();
        await CreatePayoutAsync(otherOrgId, "po_other_1");
        await CreatePayoutAsync(orgId, "po_1");
        await CreatePayoutAsync(otherOrgId, "po_other_2");

        var page = await _store.ListPayoutsAsync(orgId, PayoutFilter.All, new PageRequest(10), Cancellation);

        Assert.Equal(["po_1"], page.Items.Select(payout => payout.Id));
        Assert.All(page.Items, payout => Assert.Equal(orgId, payout.OrgId));
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task ListPayoutsAsync_EmptyOrganization_ReturnsEmptyPage()
    {
        var page = await _store.ListPayoutsAsync(NewOrgId(), PayoutFilter.All, new PageRequest(10), Cancellation);

        Assert.Empty(page.Items);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task GetPayoutsAsync_MoreThanOneInternalPage_StreamsEveryPayoutNewestFirst()
    {
        // 230 in pages of 100 crosses page boundaries twice; creating three per instant puts those boundaries
        // inside ties, where keyset paging is easiest to get wrong.
        var orgId = NewOrgId();
        var created = new List<Payout>();
        for (var i = 0; i < 230; i++)
        {
            created.Add(await CreatePayoutAsync(orgId, $"po_{i:D3}"));
            if (i % 3 == 2)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
            }
        }

        var streamed = await _store.GetPayoutsAsync(orgId, PayoutFilter.All, pageSize: 100, Cancellation).ToListAsync(Cancellation);

        var expected = created.OrderByDescending(payout => payout.CreatedAt).ThenByDescending(payout => payout.Id, StringComparer.Ordinal);
        Assert.Equal(expected.Select(payout => payout.Id), streamed.Select(payout => payout.Id));
    }

    [Fact]
    public async Task GetPayoutsAsync_Filter_StreamsOnlyMatchesNewestFirst()
    {
        var orgId = NewOrgId();
        await CreatePayoutAsync(orgId, "po_1", partnerId: "pt_1");
        await CreatePayoutAsync(orgId, "po_2", partnerId: "pt_2");
        _time.Advance(TimeSpan.FromMinutes(1));
        var third = await CreatePayoutAsync(orgId, "po_3", partnerId: "pt_1");
        await CreatePayoutAsync(NewOrgId(), "po_4", partnerId: "pt_1");

        var streamed = await _store.GetPayoutsAsync(orgId, new PayoutFilter(PartnerId: "pt_1"), cancellationToken: Cancellation).ToListAsync(Cancellation);

        Assert.Equal(["po_3", "po_1"], streamed.Select(payout => payout.Id));
        AssertSamePayout(third, streamed[0]);
    }

    [Fact]
    public async Task GetPayoutsAsync_EmptyOrganization_YieldsNothing()
    {
        Assert.Empty(await _store.GetPayoutsAsync(NewOrgId(), PayoutFilter.All, cancellationToken: Cancellation).ToListAsync(Cancellation));
    }

    [Fact]
    public async Task GetPayoutTotalsAsync_NoFilter_SumsPerCurrencyAndStatus()
    {
        var orgId = await CreateTotalsFixtureAsync();

        var totals = await _store.GetPayoutTotalsAsync(orgId, PayoutFilter.All, Cancellation);

        Assert.Equal(
            [
                new PayoutTotal(Eur, PayoutStatus.PendingApproval, 1, 50),
                new PayoutTotal(Jpy, PayoutStatus.Paid, 1, 700),
                new PayoutTotal(Usd, PayoutStatus.PendingApproval, 2, 300),
                new PayoutTotal(Usd, PayoutStatus.Approved, 1, 300),
                new PayoutTotal(Usd, PayoutStatus.Rejected, 1, 400),
            ],
            Sorted(totals));
    }

    [Fact]
    public async Task GetPayoutTotalsAsync_PartnerAndStatusFilter_SumsOnlyMatches()
    {
        var orgId = await CreateTotalsFixtureAsync();
        var filter = new PayoutFilter(new HashSet<PayoutStatus> { PayoutStatus.PendingApproval, PayoutStatus.Paid }, PartnerId: "pt_1");

        var totals = await _store.GetPayoutTotalsAsync(orgId, filter, Cancellation);

        Assert.Equal(
            [
                new PayoutTotal(Eur, PayoutStatus.PendingApproval, 1, 50),
                new PayoutTotal(Usd, PayoutStatus.PendingApproval, 2, 300),
            ],
            Sorted(totals));
    }

    [Fact]
    public async Task GetPayoutTotalsAsync_QuarterFilter_IgnoresMonthPayouts()
    {
        var orgId = await CreateTotalsFixtureAsync();

        var totals = await _store.GetPayoutTotalsAsync(orgId, new PayoutFilter(Period: ThirdQuarter), Cancellation);

        Assert.Equal([new PayoutTotal(Eur, PayoutStatus.PendingApproval, 1, 50)], totals);
    }

    [Fact]
    public async Task GetPayoutTotalsAsync_EmptyOrganization_ReturnsEmpty()
    {
        Assert.Empty(await _store.GetPayoutTotalsAsync(NewOrgId(), PayoutFilter.All, Cancellation));
    }

    [Fact]
    public async Task GetLastPaidPayoutAsync_NothingPaid_ReturnsNull()
    {
        var orgId = NewOrgId();
        var payouts = await CreatePayoutsAsync(orgId, "po_1", "po_2");
        await SaveAsync(payouts[1], payouts[1].Approve(Approver, ApprovalPolicy.Default, Now));

        Assert.Null(await _store.GetLastPaidPayoutAsync(orgId, "pt_1", Cancellation));
        Assert.Null(await _store.GetLastPaidPayoutAsync(NewOrgId(), "pt_1", Cancellation));
    }

    [Fact]
    public async Task GetLastPaidPayoutAsync_SeveralPaid_ReturnsMostRecentlyPaid()
    {
        var orgId = NewOrgId();
        var payouts = await CreatePayoutsAsync(orgId, "po_1", "po_2", "po_3");

        // Paid in a different order than created: the payment time decides, not the creation time.
        await PayAsync(payouts[2]);
        _time.Advance(TimeSpan.FromMinutes(1));
        var lastPaid = await PayAsync(payouts[0]);
        _time.Advance(TimeSpan.FromMinutes(1));
        await SaveAsync(payouts[1], payouts[1].Approve(Approver, ApprovalPolicy.Default, Now));

        AssertSamePayout(lastPaid, await _store.GetLastPaidPayoutAsync(orgId, "pt_1", Cancellation));
    }

    [Fact]
    public async Task GetLastPaidPayoutAsync_OtherPartnerPaidLater_IsIgnored()
    {
        var orgId = NewOrgId();
        var mine = await CreatePayoutAsync(orgId, "po_1", partnerId: "pt_1");
        var theirs = await CreatePayoutAsync(orgId, "po_2", partnerId: "pt_2");
        var elsewhere = await CreatePayoutAsync(NewOrgId(), "po_3", partnerId: "pt_1");
        var paid = await PayAsync(mine);
        _time.Advance(TimeSpan.FromMinutes(1));
        await PayAsync(theirs);
        await PayAsync(elsewhere);

        AssertSamePayout(paid, await _store.GetLastPaidPayoutAsync(orgId, "pt_1", Cancellation));
    }

    [Fact]
    public async Task ListEventsAsync_WholeOrganization_ReturnsEveryPayoutsEventsNewestFirst()
    {
        var orgId = NewOrgId();
        var a = await CreatePayoutAsync(orgId, "po_a");
        _time.Advance(TimeSpan.FromMinutes(1));
        var b = await CreatePayoutAsync(orgId, "po_b");
        _time.Advance(TimeSpan.FromMinutes(1));
        await SaveAsync(a, a.Approve(Approver, ApprovalPolicy.Default, Now));
        _time.Advance(TimeSpan.FromMinutes(1));
        await SaveAsync(b, b.Update(new PayoutChanges(20_000, null, null, null, null), Manager, Now));

        var page = await _store.ListEventsAsync(orgId, payoutId: null, new PageRequest(10), Cancellation);

        Assert.Equal(
            [PayoutEvent.IdFor("po_b", 2), PayoutEvent.IdFor("po_a", 2), PayoutEvent.IdFor("po_b", 1), PayoutEvent.IdFor("po_a", 1)],
            page.Items.Select(change => change.Id));
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task ListEventsAsync_SameInstant_BreaksTieByIdDescending()
    {
        var orgId = NewOrgId();
        var a = await CreatePayoutAsync(orgId, "po_a");
        await CreatePayoutAsync(orgId, "po_b");
        await SaveAsync(a, a.Approve(Approver, ApprovalPolicy.Default, Now));

        var first = await _store.ListEventsAsync(orgId, payoutId: null, new PageRequest(2), Cancellation);
        var second = await _store.ListEventsAsync(orgId, payoutId: null, new PageRequest(2, first.Next), Cancellation);

        Assert.Equal([PayoutEvent.IdFor("po_b", 1), PayoutEvent.IdFor("po_a", 2)], first.Items.Select(change => change.Id));
        Assert.Equal([PayoutEvent.IdFor("po_a", 1)], second.Items.Select(change => change.Id));
        Assert.Null(second.Next);
    }

    [Fact]
    public async Task ListEventsAsync_OnePayout_ReturnsOnlyItsEventsNewestFirst()
    {
        var orgId = NewOrgId();
        var mine = await CreatePayoutAsync(orgId, "po_1");
        // An id that starts with the other must not match by prefix.
        var sibling = await CreatePayoutAsync(orgId, "po_10");
        _time.Advance(TimeSpan.FromMinutes(1));
        var approved = await SaveAsync(mine, mine.Approve(Approver, ApprovalPolicy.Default, Now));
        await SaveAsync(sibling, sibling.Approve(Approver, ApprovalPolicy.Default, Now));
        _time.Advance(TimeSpan.FromMinutes(1));
        var paid = approved.MarkPaid(Actor.System, "tr_1", Now).Value;
        Assert.True(await _store.TrySaveChangeAsync(paid, approved, Cancellation));

        var page = await _store.ListEventsAsync(orgId, "po_1", new PageRequest(10), Cancellation);

        Assert.Equal([PayoutEvent.IdFor("po_1", 3), PayoutEvent.IdFor("po_1", 2), PayoutEvent.IdFor("po_1", 1)], page.Items.Select(change => change.Id));
        Assert.Equivalent(paid, page.Items[0], strict: true);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task ListEventsAsync_WholeOrganizationPagesOfTwo_ReturnEveryEventOnce()
    {
        var orgId = NewOrgId();
        await CreatePayoutsAsync(orgId, "po_1", "po_2", "po_3", "po_4", "po_5");

        var first = await _store.ListEventsAsync(orgId, payoutId: null, new PageRequest(2), Cancellation);
        var second = await _store.ListEventsAsync(orgId, payoutId: null, new PageRequest(2, first.Next), Cancellation);
        var third = await _store.ListEventsAsync(orgId, payoutId: null, new PageRequest(2, second.Next), Cancellation);

        Assert.Equal([PayoutEvent.IdFor("po_5", 1), PayoutEvent.IdFor("po_4", 1)], first.Items.Select(change => change.Id));
        Assert.Equal([PayoutEvent.IdFor("po_3", 1), PayoutEvent.IdFor("po_2", 1)], second.Items.Select(change => change.Id));
        Assert.Equal([PayoutEvent.IdFor("po_1", 1)], third.Items.Select(change => change.Id));
        Assert.NotNull(first.Next);
        Assert.NotNull(second.Next);
        Assert.Null(third.Next);
    }

    [Fact]
    public async Task ListEventsAsync_OnePayoutPagesOfTwo_ReturnEveryEventOnce()
    {
        var orgId = NewOrgId();
        var payout = await CreatePayoutAsync(orgId, "po_1");
        await CreatePayoutAsync(orgId, "po_2");
        for (var amount = 20_000; amount < 24_000; amount += 1_000)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            payout = await SaveAsync(payout, payout.Update(new PayoutChanges(amount, null, null, null, null), Manager, Now));
        }

        var first = await _store.ListEventsAsync(orgId, "po_1", new PageRequest(2), Cancellation);
        var second = await _store.ListEventsAsync(orgId, "po_1", new PageRequest(2, first.Next), Cancellation);
        var third = await _store.ListEventsAsync(orgId, "po_1", new PageRequest(2, second.Next), Cancellation);

        Assert.Equal([5L, 4L], first.Items.Select(change => change.Sequence));
        Assert.Equal([3L, 2L], second.Items.Select(change => change.Sequence));
        Assert.Equal([1L], third.Items.Select(change => change.Sequence));
        Assert.All(first.Items.Concat(second.Items).Concat(third.Items), change => Assert.Equal("po_1", change.PayoutId));
        Assert.Null(third.Next);
    }

    [Fact]
    public async Task ListEventsAsync_PageKeyTakenBeforeNewEvents_YieldsSameNextPage()
    {
        var orgId = NewOrgId();
        var payouts = await CreatePayoutsAsync(orgId, "po_1", "po_2", "po_3", "po_4", "po_5");
        var first = await _store.ListEventsAsync(orgId, payoutId: null, new PageRequest(2), Cancellation);
        var before = await _store.ListEventsAsync(orgId, payoutId: null, new PageRequest(2, first.Next), Cancellation);

        await SaveAsync(payouts[0], payouts[0].Approve(Approver, ApprovalPolicy.Default, Now));
        await CreatePayoutAsync(orgId, "po_6");
        var after = await _store.ListEventsAsync(orgId, payoutId: null, new PageRequest(2, first.Next), Cancellation);

        Assert.Equal(before.Items.Select(change => change.Id), after.Items.Select(change => change.Id));
        Assert.Equal(before.Next, after.Next);
    }

    [Fact]
    public async Task ListEventsAsync_OtherOrganizations_NeverAppear()
    {
        var orgId = NewOrgId();
        var otherOrgId = NewOrgId();
        await CreatePayoutAsync(orgId, "po_1");
        await CreatePayoutAsync(otherOrgId, "po_1");
        await CreatePayoutAsync(otherOrgId, "po_2");

        var all = await _store.ListEventsAsync(orgId, payoutId: null, new PageRequest(10), Cancellation);
        var one = await _store.ListEventsAsync(orgId, "po_1", new PageRequest(10), Cancellation);

        Assert.All(all.Items.Concat(one.Items), change => Assert.Equal(orgId, change.OrgId));
        Assert.Single(all.Items);
        Assert.Single(one.Items);
        Assert.Empty((await _store.ListEventsAsync(orgId, "po_2", new PageRequest(10), Cancellation)).Items);
    }

    [Fact]
    public async Task ListEventsAsync_UnknownPayout_ReturnsEmptyPage()
    {
        var orgId = NewOrgId();
        await CreatePayoutAsync(orgId, "po_1");

        var page = await _store.ListEventsAsync(orgId, "po_unknown", new PageRequest(10), Cancellation);

        Assert.Empty(page.Items);
        Assert.Null(page.Next);
    }

    [Theory]
    [MemberData(nameof(AwkwardIds), MemberType = typeof(PayoutStoreContractTests))]
    public async Task ListEventsAsync_AwkwardPayoutId_ReturnsNoEvents(string payoutId)
    {
        // The audit log takes its payoutId from the query string; GetPayoutEventsAsync serves the same ids.
        var orgId = NewOrgId();
        await CreatePayoutAsync(orgId, "a");

        Assert.Empty((await _store.ListEventsAsync(orgId, payoutId, new PageRequest(10), Cancellation)).Items);
        Assert.Empty(await _store.GetPayoutEventsAsync(orgId, payoutId, cancellationToken: Cancellation));
    }

    [Fact]
    public async Task GetPayoutEventsAsync_SeveralChanges_ReturnsOldestFirst()
    {
        var orgId = NewOrgId();
        var created = Payout.Create(Draft(orgId, "po_1"), Manager, Now);
        Assert.True(await _store.TrySaveChangeAsync(created, current: null, Cancellation));
        var approved = created.Payout.Approve(Approver, ApprovalPolicy.Default, Now).Value;
        Assert.True(await _store.TrySaveChangeAsync(approved, created.Payout, Cancellation));
        _time.Advance(TimeSpan.FromMinutes(1));
        var processing = approved.Payout.MarkProcessing(Actor.System, Now).Value;
        Assert.True(await _store.TrySaveChangeAsync(processing, approved.Payout, Cancellation));

        AssertSameEvents([created, approved, processing], await _store.GetPayoutEventsAsync(orgId, "po_1", cancellationToken: Cancellation));
    }

    [Theory]
    [InlineData(0L, new long[] { 1, 2, 3, 4 })]
    [InlineData(1L, new long[] { 2, 3, 4 })]
    [InlineData(3L, new long[] { 4 })]
    [InlineData(4L, new long[0])]
    [InlineData(9L, new long[0])]
    public async Task GetPayoutEventsAsync_AfterVersion_ReturnsOnlyNewerOldestFirst(long afterVersion, long[] expectedVersions)
    {
        var orgId = NewOrgId();
        var payout = await CreatePayoutAsync(orgId, "po_1");
        payout = await SaveAsync(payout, payout.Approve(Approver, ApprovalPolicy.Default, Now));
        payout = await SaveAsync(payout, payout.MarkProcessing(Actor.System, Now));
        await SaveAsync(payout, payout.MarkPaid(Actor.System, "tr_1", Now));

        var events = await _store.GetPayoutEventsAsync(orgId, "po_1", afterVersion, Cancellation);

        Assert.Equal(expectedVersions, events.Select(change => change.Sequence));
    }

    [Fact]
    public async Task GetPayoutEventsAsync_UnknownOrOtherOrganizationsPayout_ReturnsEmpty()
    {
        var orgId = NewOrgId();
        await CreatePayoutAsync(NewOrgId(), "po_1");

        Assert.Empty(await _store.GetPayoutEventsAsync(orgId, "po_1", cancellationToken: Cancellation));
        Assert.Empty(await _store.GetPayoutEventsAsync(orgId, "po_unknown", cancellationToken: Cancellation));
    }

    [Fact]
    public async Task ReadEventLogAsync_FromTheStart_ReturnsEventsInCommitOrderAndNoOtherDocuments()
    {
        var orgId = NewOrgId();
        Assert.True(await _store.TryCreatePartnerAsync(NewPartner(orgId, "pt_1"), Cancellation));
        Assert.True(await _store.TrySaveOrganizationAsync(Settings(orgId, 1), Cancellation));
        var first = Payout.Create(Draft(orgId, "po_1"), Manager, Now);
        Assert.True(await _store.TrySaveChangeAsync(first, current: null, Cancellation));
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(NewRecord(orgId, "key_1"), Cancellation));
        var second = Payout.Create(Draft(orgId, "po_2"), Manager, Now);
        Assert.True(await _store.TrySaveChangeAsync(second, current: null, Cancellation));
        _time.Advance(TimeSpan.FromMinutes(1));
        var approved = first.Payout.Approve(Approver, ApprovalPolicy.Default, Now).Value;
        Assert.True(await _store.TrySaveChangeAsync(approved, first.Payout, Cancellation));
        await _store.MarkEventHandledAsync(orgId, "payments", approved.Id, Cancellation);
        var deleted = second.Payout.Delete(Manager, Now).Value;
        Assert.True(await _store.TrySaveChangeAsync(deleted, second.Payout, Cancellation));
        var paid = approved.Payout.MarkPaid(Actor.System, "tr_1", Now).Value;
        Assert.True(await _store.TrySaveChangeAsync(paid, approved.Payout, Cancellation));
        await _store.RegisterOrganizationAsync(orgId, Cancellation);

        var (events, position) = await ReadEventsOfAsync(orgId, position: null, count: 5);

        AssertSameEvents([first, second, approved, deleted, paid], events);
        Assert.DoesNotContain((await _store.ReadEventLogAsync(position, 1_000, Cancellation)).Events, change => change.OrgId == orgId);
    }

    [Fact]
    public async Task ReadEventLogAsync_FromReturnedPosition_ReturnsOnlyEventsCommittedAfterIt()
    {
        var orgId = NewOrgId();
        var created = await CreatePayoutAsync(orgId, "po_1");
        var approved = await SaveAsync(created, created.Approve(Approver, ApprovalPolicy.Default, Now));
        var (_, position) = await ReadEventsOfAsync(orgId, position: null, count: 2);

        _time.Advance(TimeSpan.FromMinutes(1));
        var paid = approved.MarkPaid(Actor.System, "tr_1", Now).Value;
        Assert.True(await _store.TrySaveChangeAsync(paid, approved, Cancellation));
        var other = Payout.Create(Draft(orgId, "po_2"), Manager, Now);
        Assert.True(await _store.TrySaveChangeAsync(other, current: null, Cancellation));

        var (events, _) = await ReadEventsOfAsync(orgId, position, count: 2);

        AssertSameEvents([paid, other], events);
    }

    [Fact]
    public async Task ReadEventLogAsync_NothingNew_ReturnsNoEventsAndAPositionThatSeesLaterEvents()
    {
        var orgId = NewOrgId();
        var created = await CreatePayoutAsync(orgId, "po_1");
        var (_, position) = await ReadEventsOfAsync(orgId, position: null, count: 1);

        var caughtUp = await ReadToEndAsync(position);

        Assert.Empty(caughtUp.Events);
        Assert.NotNull(caughtUp.Position);
        Assert.DoesNotContain((await _store.ReadEventLogAsync(caughtUp.Position, 1_000, Cancellation)).Events, change => change.OrgId == orgId);
        var approved = created.Approve(Approver, ApprovalPolicy.Default, Now).Value;
        Assert.True(await _store.TrySaveChangeAsync(approved, created, Cancellation));
        var (events, _) = await ReadEventsOfAsync(orgId, caughtUp.Position, count: 1);
        AssertSameEvents([approved], events);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ReadEventLogAsync_Max_BoundsEachReadAndReadingOnReturnsEveryEventInOrder(int max)
    {
        var orgId = NewOrgId();
        await CreatePayoutAsync(orgId, "po_0");
        var (_, position) = await ReadEventsOfAsync(orgId, position: null, count: 1);
        await CreatePayoutsAsync(orgId, "po_1", "po_2", "po_3", "po_4", "po_5");

        var (events, _) = await ReadEventsOfAsync(orgId, position, count: 5, max);

        Assert.Equal(["po_1", "po_2", "po_3", "po_4", "po_5"], events.Select(change => change.PayoutId));
    }

    [Fact]
    public async Task SaveEventLogPositionAsync_ThenGet_ReturnsThePositionToReadOnFrom()
    {
        var orgId = NewOrgId();
        var reader = "reader-" + Guid.NewGuid().ToString("N")[..12];
        Assert.Null(await _store.GetEventLogPositionAsync(reader, Cancellation));
        var created = await CreatePayoutAsync(orgId, "po_1");
        var (_, position) = await ReadEventsOfAsync(orgId, position: null, count: 1);
        Assert.NotNull(position);

        await _store.SaveEventLogPositionAsync(reader, position, Cancellation);
        var approved = created.Approve(Approver, ApprovalPolicy.Default, Now).Value;
        Assert.True(await _store.TrySaveChangeAsync(approved, created, Cancellation));

        var saved = await _store.GetEventLogPositionAsync(reader, Cancellation);
        Assert.Equal(position, saved);
        var (events, next) = await ReadEventsOfAsync(orgId, saved, count: 1);
        AssertSameEvents([approved], events);
        Assert.NotNull(next);
        await _store.SaveEventLogPositionAsync(reader, next, Cancellation);
        Assert.Equal(next, await _store.GetEventLogPositionAsync(reader, Cancellation));
        Assert.Null(await _store.GetEventLogPositionAsync(reader + "-other", Cancellation));
    }

    [Fact]
    public async Task TryCreatePartnerAsync_NewId_CanBeReadBack()
    {
        var orgId = NewOrgId();
        var partner = NewPartner(orgId, "pt_1");
        var minimal = NewPartner(orgId, "pt_2") with { PayoutCurrency = null, PayoutAccountId = null };

        Assert.True(await _store.TryCreatePartnerAsync(partner, Cancellation));
        Assert.True(await _store.TryCreatePartnerAsync(minimal, Cancellation));

        Assert.Equal(partner, await _store.GetPartnerAsync(orgId, "pt_1", Cancellation));
        Assert.Equal(minimal, await _store.GetPartnerAsync(orgId, "pt_2", Cancellation));
    }

    [Fact]
    public async Task TryCreatePartnerAsync_ExistingId_ReturnsFalseAndKeepsFirst()
    {
        var orgId = NewOrgId();
        var first = NewPartner(orgId, "pt_1");
        Assert.True(await _store.TryCreatePartnerAsync(first, Cancellation));
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.False(await _store.TryCreatePartnerAsync(NewPartner(orgId, "pt_1") with { Name = "Impostor" }, Cancellation));

        Assert.Equal(first, await _store.GetPartnerAsync(orgId, "pt_1", Cancellation));
        Assert.Single((await _store.ListPartnersAsync(orgId, new PageRequest(10), Cancellation)).Items);
    }

    [Fact]
    public async Task TryCreatePartnerAsync_ParallelSameId_ExactlyOneWins()
    {
        var orgId = NewOrgId();
        var candidates = Enumerable.Range(0, 8).Select(i => NewPartner(orgId, "pt_1") with { Name = $"Partner {i}" }).ToList();

        var created = await Task.WhenAll(candidates.Select(partner =>
            Task.Run(() => _store.TryCreatePartnerAsync(partner, Cancellation), Cancellation)));

        Assert.Single(created, won => won);
        Assert.Equal(candidates[Array.IndexOf(created, true)], await _store.GetPartnerAsync(orgId, "pt_1", Cancellation));
    }

    [Fact]
    public async Task GetPartnerAsync_UnknownId_ReturnsNull()
    {
        var orgId = NewOrgId();
        Assert.True(await _store.TryCreatePartnerAsync(NewPartner(orgId, "pt_1"), Cancellation));

        Assert.Null(await _store.GetPartnerAsync(orgId, "pt_2", Cancellation));
    }

    [Fact]
    public async Task GetPartnerAsync_IdOfAnotherOrganization_ReturnsNull()
    {
        var orgId = NewOrgId();
        Assert.True(await _store.TryCreatePartnerAsync(NewPartner(orgId, "pt_1"), Cancellation));

        Assert.Null(await _store.GetPartnerAsync(NewOrgId(), "pt_1", Cancellation));
    }

    [Theory]
    [MemberData(nameof(AwkwardIds), MemberType = typeof(PayoutStoreContractTests))]
    public async Task GetPartnerAsync_AwkwardId_ReturnsNull(string partnerId)
    {
        // Creation validates partner ids, but GET /api/partners/{id} passes any id through.
        var orgId = NewOrgId();
        Assert.True(await _store.TryCreatePartnerAsync(NewPartner(orgId, "a"), Cancellation));

        Assert.Null(await _store.GetPartnerAsync(orgId, partnerId, Cancellation));
    }

    [Fact]
    public async Task GetPartnersAsync_UnknownAndDuplicateIds_ReturnsEachExistingPartnerOnce()
    {
        var orgId = NewOrgId();
        var first = NewPartner(orgId, "pt_1");
        var second = NewPartner(orgId, "pt_2");
        Assert.True(await _store.TryCreatePartnerAsync(first, Cancellation));
        Assert.True(await _store.TryCreatePartnerAsync(second, Cancellation));
        Assert.True(await _store.TryCreatePartnerAsync(NewPartner(orgId, "pt_3"), Cancellation));
        Assert.True(await _store.TryCreatePartnerAsync(NewPartner(NewOrgId(), "pt_4"), Cancellation));

        var partners = await _store.GetPartnersAsync(orgId, ["pt_2", "pt_unknown", "pt_1", "pt_2", "pt_4"], Cancellation);

        // The port promises no order for this lookup.
        Assert.Equal([first, second], partners.OrderBy(partner => partner.Id, StringComparer.Ordinal));
    }

    [Fact]
    public async Task GetPartnersAsync_NoIds_ReturnsEmpty()
    {
        var orgId = NewOrgId();
        Assert.True(await _store.TryCreatePartnerAsync(NewPartner(orgId, "pt_1"), Cancellation));

        Assert.Empty(await _store.GetPartnersAsync(orgId, [], Cancellation));
    }

    [Fact]
    public async Task ListPartnersAsync_PagesOfTwo_ReturnNewestFirstWithTiesByIdDescending()
    {
        var orgId = NewOrgId();
        foreach (var id in new[] { "pt_1", "pt_2", "pt_3" })
        {
            Assert.True(await _store.TryCreatePartnerAsync(NewPartner(orgId, id), Cancellation));
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.True(await _store.TryCreatePartnerAsync(NewPartner(orgId, "pt_4"), Cancellation));
        Assert.True(await _store.TryCreatePartnerAsync(NewPartner(orgId, "pt_5"), Cancellation));
        Assert.True(await _store.TryCreatePartnerAsync(NewPartner(NewOrgId(), "pt_6"), Cancellation));

        var first = await _store.ListPartnersAsync(orgId, new PageRequest(2), Cancellation);
        var second = await _store.ListPartnersAsync(orgId, new PageRequest(2, first.Next), Cancellation);
        var third = await _store.ListPartnersAsync(orgId, new PageRequest(2, second.Next), Cancellation);

        Assert.Equal(["pt_5", "pt_4"], first.Items.Select(partner => partner.Id));
        Assert.Equal(["pt_3", "pt_2"], second.Items.Select(partner => partner.Id));
        Assert.Equal(["pt_1"], third.Items.Select(partner => partner.Id));
        Assert.NotNull(first.Next);
        Assert.NotNull(second.Next);
        Assert.Null(third.Next);
    }

    [Fact]
    public async Task ListPartnersAsync_EmptyOrganization_ReturnsEmptyPage()
    {
        var page = await _store.ListPartnersAsync(NewOrgId(), new PageRequest(10), Cancellation);

        Assert.Empty(page.Items);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task TryUpdatePartnerAsync_NextVersion_ReplacesPartnerAndKeepsItsListPosition()
    {
        var orgId = NewOrgId();
        var original = NewPartner(orgId, "pt_1");
        Assert.True(await _store.TryCreatePartnerAsync(original, Cancellation));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await _store.TryCreatePartnerAsync(NewPartner(orgId, "pt_2"), Cancellation));
        _time.Advance(TimeSpan.FromMinutes(1));
        var updated = original with { Name = "Renamed", CommissionRateBps = 1_500, PayoutAccountId = null, UpdatedAt = Now, Version = 2 };

        Assert.True(await _store.TryUpdatePartnerAsync(updated, Cancellation));

        Assert.Equal(updated, await _store.GetPartnerAsync(orgId, "pt_1", Cancellation));
        var page = await _store.ListPartnersAsync(orgId, new PageRequest(10), Cancellation);
        Assert.Equal(["pt_2", "pt_1"], page.Items.Select(partner => partner.Id));
        Assert.Equal(updated, page.Items[1]);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(2L)]
    [InlineData(4L)]
    public async Task TryUpdatePartnerAsync_VersionNotNextAfterStored_ReturnsFalseAndKeepsStored(long version)
    {
        // Stored at version 2, so only version 3 follows: 2 is a concurrent writer that lost, 1 and 4 are out of line.
        var orgId = NewOrgId();
        var original = NewPartner(orgId, "pt_1");
        Assert.True(await _store.TryCreatePartnerAsync(original, Cancellation));
        var current = original with { Name = "Second", Version = 2 };
        Assert.True(await _store.TryUpdatePartnerAsync(current, Cancellation));

        Assert.False(await _store.TryUpdatePartnerAsync(original with { Name = "Stale", Version = version }, Cancellation));

        Assert.Equal(current, await _store.GetPartnerAsync(orgId, "pt_1", Cancellation));
    }

    [Fact]
    public async Task TryUpdatePartnerAsync_MissingPartner_ReturnsFalseAndCreatesNothing()
    {
        var orgId = NewOrgId();

        Assert.False(await _store.TryUpdatePartnerAsync(NewPartner(orgId, "pt_1") with { Version = 2 }, Cancellation));

        Assert.Null(await _store.GetPartnerAsync(orgId, "pt_1", Cancellation));
        Assert.Empty((await _store.ListPartnersAsync(orgId, new PageRequest(10), Cancellation)).Items);
    }

    [Fact]
    public async Task GetOrganizationAsync_NeverSaved_ReturnsNull()
    {
        var orgId = NewOrgId();
        Assert.True(await _store.TrySaveOrganizationAsync(Settings(NewOrgId(), version: 1), Cancellation));

        Assert.Null(await _store.GetOrganizationAsync(orgId, Cancellation));
    }

    [Fact]
    public async Task TrySaveOrganizationAsync_Version1WhenAbsent_CreatesSettings()
    {
        var settings = Settings(NewOrgId(), version: 1);

        Assert.True(await _store.TrySaveOrganizationAsync(settings, Cancellation));

        AssertSameSettings(settings, await _store.GetOrganizationAsync(settings.OrgId, Cancellation));
    }

    [Fact]
    public async Task TrySaveOrganizationAsync_EmptyCollections_RoundTrip()
    {
        var settings = OrganizationSettings.Default(NewOrgId()) with { Version = 1 };

        Assert.True(await _store.TrySaveOrganizationAsync(settings, Cancellation));

        AssertSameSettings(settings, await _store.GetOrganizationAsync(settings.OrgId, Cancellation));
    }

    [Fact]
    public async Task TrySaveOrganizationAsync_Version2_UpdatesSettings()
    {
        var first = Settings(NewOrgId(), version: 1);
        Assert.True(await _store.TrySaveOrganizationAsync(first, Cancellation));
        var second = first with
        {
            MinimumPayouts = new Dictionary<string, long> { ["EUR"] = 2_500 },
            AutomaticPayments = false,
            ApproverEmails = ["cfo@example.com", "ap@example.com"],
            Version = 2,
        };

        Assert.True(await _store.TrySaveOrganizationAsync(second, Cancellation));

        AssertSameSettings(second, await _store.GetOrganizationAsync(first.OrgId, Cancellation));
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(2L)]
    [InlineData(4L)]
    public async Task TrySaveOrganizationAsync_VersionNotNextAfterStored_ReturnsFalseAndKeepsStored(long version)
    {
        // Stored at version 2, so only version 3 follows: 1 would recreate, 2 lost a race, 4 skips one.
        var first = Settings(NewOrgId(), version: 1);
        Assert.True(await _store.TrySaveOrganizationAsync(first, Cancellation));
        var current = first with { AutomaticPayments = false, Version = 2 };
        Assert.True(await _store.TrySaveOrganizationAsync(current, Cancellation));

        Assert.False(await _store.TrySaveOrganizationAsync(first with { ApproverEmails = ["stale@example.com"], Version = version }, Cancellation));

        AssertSameSettings(current, await _store.GetOrganizationAsync(first.OrgId, Cancellation));
    }

    [Fact]
    public async Task TrySaveOrganizationAsync_Version2WhenAbsent_ReturnsFalseAndCreatesNothing()
    {
        var settings = Settings(NewOrgId(), version: 2);

        Assert.False(await _store.TrySaveOrganizationAsync(settings, Cancellation));

        Assert.Null(await _store.GetOrganizationAsync(settings.OrgId, Cancellation));
    }

    [Fact]
    public async Task TrySaveOrganizationAsync_ParallelFirstSaves_ExactlyOneWins()
    {
        var orgId = NewOrgId();
        var candidates = Enumerable.Range(0, 8).Select(i => Settings(orgId, version: 1) with { ApproverEmails = [$"approver-{i}@example.com"] }).ToList();

        var saved = await Task.WhenAll(candidates.Select(settings =>
            Task.Run(() => _store.TrySaveOrganizationAsync(settings, Cancellation), Cancellation)));

        Assert.Single(saved, won => won);
        AssertSameSettings(candidates[Array.IndexOf(saved, true)], await _store.GetOrganizationAsync(orgId, Cancellation));
    }

    [Fact]
    public async Task TryCreateIdempotencyRecordAsync_NewKey_CanBeReadBack()
    {
        var record = NewRecord(NewOrgId(), "key_1");

        Assert.True(await _store.TryCreateIdempotencyRecordAsync(record, Cancellation));

        AssertSameRecord(record, await _store.GetIdempotencyRecordAsync(record.OrgId, "key_1", Cancellation));
    }

    [Fact]
    public async Task TryCreateIdempotencyRecordAsync_ExistingKey_ReturnsFalseAndKeepsFirst()
    {
        var record = NewRecord(NewOrgId(), "key_1");
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(record, Cancellation));
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.False(await _store.TryCreateIdempotencyRecordAsync(NewRecord(record.OrgId, "key_1", "hash_2"), Cancellation));

        AssertSameRecord(record, await _store.GetIdempotencyRecordAsync(record.OrgId, "key_1", Cancellation));
    }

    [Fact]
    public async Task TryCreateIdempotencyRecordAsync_ParallelSameKey_ExactlyOneWins()
    {
        // Two retries of one request arriving together must not both run it.
        var orgId = NewOrgId();
        var candidates = Enumerable.Range(0, 8).Select(i => NewRecord(orgId, "key_1", $"hash_{i}")).ToList();

        var created = await Task.WhenAll(candidates.Select(record =>
            Task.Run(() => _store.TryCreateIdempotencyRecordAsync(record, Cancellation), Cancellation)));

        Assert.Single(created, won => won);
        AssertSameRecord(candidates[Array.IndexOf(created, true)], await _store.GetIdempotencyRecordAsync(orgId, "key_1", Cancellation));
    }

    [Fact]
    public async Task TryCreateIdempotencyRecordAsync_SameKeyInAnotherOrganization_IsIndependent()
    {
        var mine = NewRecord(NewOrgId(), "key_1", "hash_mine");
        var theirs = NewRecord(NewOrgId(), "key_1", "hash_theirs");

        Assert.True(await _store.TryCreateIdempotencyRecordAsync(mine, Cancellation));
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(theirs, Cancellation));
        await _store.DeleteIdempotencyRecordAsync(theirs.OrgId, "key_1", Cancellation);

        AssertSameRecord(mine, await _store.GetIdempotencyRecordAsync(mine.OrgId, "key_1", Cancellation));
        Assert.Null(await _store.GetIdempotencyRecordAsync(theirs.OrgId, "key_1", Cancellation));
        Assert.Null(await _store.GetIdempotencyRecordAsync(NewOrgId(), "key_1", Cancellation));
    }

    [Theory]
    [MemberData(nameof(AwkwardIdempotencyKeys), MemberType = typeof(PayoutStoreContractTests))]
    public async Task TryCreateIdempotencyRecordAsync_AwkwardKey_RoundTrips(string key)
    {
        // The key is whatever the client put in the Idempotency-Key header.
        var record = NewRecord(NewOrgId(), key);

        Assert.True(await _store.TryCreateIdempotencyRecordAsync(record, Cancellation));

        AssertSameRecord(record, await _store.GetIdempotencyRecordAsync(record.OrgId, key, Cancellation));
        Assert.Null(await _store.GetIdempotencyRecordAsync(record.OrgId, "a", Cancellation));
        Assert.False(await _store.TryCreateIdempotencyRecordAsync(record, Cancellation));
    }

    [Fact]
    public async Task GetIdempotencyRecordAsync_UnknownKey_ReturnsNull()
    {
        var record = NewRecord(NewOrgId(), "key_1");
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(record, Cancellation));

        Assert.Null(await _store.GetIdempotencyRecordAsync(record.OrgId, "key_2", Cancellation));
    }

    [Fact]
    public async Task CompleteIdempotencyRecordAsync_WithResponse_PersistsEveryField()
    {
        var pending = NewRecord(NewOrgId(), "key_1");
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(pending, Cancellation));
        // Every byte value, so that a store that stores the body as text would show it.
        var body = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var completed = pending with { Response = new SavedResponse(201, "application/json; charset=utf-8", "/api/payouts/po_1", "\"1\"", body) };

        await _store.CompleteIdempotencyRecordAsync(completed, Cancellation);

        AssertSameRecord(completed, await _store.GetIdempotencyRecordAsync(pending.OrgId, "key_1", Cancellation));
        Assert.False(await _store.TryCreateIdempotencyRecordAsync(NewRecord(pending.OrgId, "key_1"), Cancellation));
    }

    [Fact]
    public async Task CompleteIdempotencyRecordAsync_ResponseWithoutOptionalParts_RoundTrips()
    {
        var pending = NewRecord(NewOrgId(), "key_1");
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(pending, Cancellation));
        var completed = pending with { Response = new SavedResponse(204, null, null, null, []) };

        await _store.CompleteIdempotencyRecordAsync(completed, Cancellation);

        AssertSameRecord(completed, await _store.GetIdempotencyRecordAsync(pending.OrgId, "key_1", Cancellation));
    }

    [Fact]
    public async Task DeleteIdempotencyRecordAsync_ExistingKey_FreesIt()
    {
        var record = NewRecord(NewOrgId(), "key_1");
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(record, Cancellation));

        await _store.DeleteIdempotencyRecordAsync(record.OrgId, "key_1", Cancellation);

        Assert.Null(await _store.GetIdempotencyRecordAsync(record.OrgId, "key_1", Cancellation));
        var retry = NewRecord(record.OrgId, "key_1", "hash_2");
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(retry, Cancellation));
        AssertSameRecord(retry, await _store.GetIdempotencyRecordAsync(record.OrgId, "key_1", Cancellation));
    }

    [Fact]
    public async Task DeleteIdempotencyRecordAsync_MissingKey_DoesNothing()
    {
        var orgId = NewOrgId();

        await _store.DeleteIdempotencyRecordAsync(orgId, "key_1", Cancellation);

        Assert.Null(await _store.GetIdempotencyRecordAsync(orgId, "key_1", Cancellation));
    }

    [Fact]
    public async Task GetIdempotencyRecordAsync_AtExpiresAt_ReturnsNullAndKeyIsFreeAgain()
    {
        var record = NewRecord(NewOrgId(), "key_1");
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(record, Cancellation));

        _time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        AssertSameRecord(record, await _store.GetIdempotencyRecordAsync(record.OrgId, "key_1", Cancellation));
        Assert.False(await _store.TryCreateIdempotencyRecordAsync(record with { RequestHash = "hash_2" }, Cancellation));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await _store.GetIdempotencyRecordAsync(record.OrgId, "key_1", Cancellation));

        var later = NewRecord(record.OrgId, "key_1", "hash_2");
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(later, Cancellation));
        AssertSameRecord(later, await _store.GetIdempotencyRecordAsync(record.OrgId, "key_1", Cancellation));
    }

    [Fact]
    public async Task GetIdempotencyRecordAsync_CompletedRecordPastExpiresAt_ReturnsNullAndNewCreateSucceeds()
    {
        var pending = NewRecord(NewOrgId(), "key_1");
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(pending, Cancellation));
        await _store.CompleteIdempotencyRecordAsync(pending with { Response = new SavedResponse(200, "application/json", null, "\"2\"", [1, 2, 3]) }, Cancellation);

        _time.Advance(TimeSpan.FromDays(2));

        Assert.Null(await _store.GetIdempotencyRecordAsync(pending.OrgId, "key_1", Cancellation));
        var fresh = NewRecord(pending.OrgId, "key_1", "hash_2");
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(fresh, Cancellation));
        AssertSameRecord(fresh, await _store.GetIdempotencyRecordAsync(pending.OrgId, "key_1", Cancellation));
    }

    [Fact]
    public async Task GetSettledAttributionsAsync_ReturnsTheLinesSettledOrReversedIntoThatPayoutOnly()
    {
        var orgId = NewOrgId();
        Attribution Won(string id) => new(id, orgId, "pt_1", "deal_" + id, new Money(10_000, Usd), Start, AttributionStatus.Won, null, null, Now, 1);
        var settled = Won("a/1") with { Settlement = new Settlement("po_1", 1_000, 1_000), Version = 1 };
        var reversed = Won("a2") with { Status = AttributionStatus.Reversed, Settlement = new Settlement("po_0", 1_000, 1_000), ReversalSettlement = new Settlement("po_1", -1_000, 1_000) };
        var elsewhere = Won("a3") with { Settlement = new Settlement("po_2", 500) };
        foreach (var attribution in new[] { settled, reversed, elsewhere, Won("a4") })
        {
            Assert.True(await _store.TrySaveAttributionAsync(attribution, null, Cancellation));
        }

        var lines = await _store.GetSettledAttributionsAsync(orgId, "po_1", Cancellation).ToListAsync(Cancellation);
        Assert.Equal(["a/1", "a2"], lines.Select(a => a.Id).Order(StringComparer.Ordinal));
        Assert.Equal(1_000, lines.Single(a => a.Id == "a/1").Settlement!.RateBps);
        Assert.Empty(await _store.GetSettledAttributionsAsync(NewOrgId(), "po_1", Cancellation).ToListAsync(Cancellation));
    }

    [Fact]
    public async Task GetPaidPayoutsAsync_ReturnsPayoutsPaidInTheRange_FromInclusive_ToExclusive()
    {
        var orgId = NewOrgId();
        var before = await PayAsync(await CreatePayoutAsync(orgId, "po_before"));
        _time.Advance(TimeSpan.FromHours(1));
        var from = Now;
        var atFrom = await PayAsync(await CreatePayoutAsync(orgId, "po_at_from"));
        _time.Advance(TimeSpan.FromHours(1));
        await CreatePayoutAsync(orgId, "po_pending");
        var to = Now;
        await PayAsync(await CreatePayoutAsync(orgId, "po_at_to"));
        await PayAsync(await CreatePayoutAsync(NewOrgId(), "po_other_org"));

        var paid = await _store.GetPaidPayoutsAsync(orgId, from, to, Cancellation).ToListAsync(Cancellation);

        Assert.Equal([atFrom.Id], paid.Select(p => p.Id));
        Assert.Equal(PayoutStatus.Paid, paid[0].Status);
        Assert.Equal(before.Id, (await _store.GetPaidPayoutsAsync(orgId, before.PaidAt!.Value, from, Cancellation).SingleAsync(Cancellation)).Id);
    }

    [Fact]
    public async Task Statements_OneEntryPerPartnerAndPeriod_ListedNewestPeriodFirst_PageByPage()
    {
        var orgId = NewOrgId();
        var periods = new[] { Period.Month(2026, 5), Period.Month(2026, 7), ThirdQuarter, Period.Month(2026, 6) };
        foreach (var period in periods)
        {
            await _store.SaveStatementAsync(new StatementEntry("st_" + period, orgId, "pt/1", period, Now), Cancellation);
        }

        // A second generation of July replaces the first one's entry.
        var regenerated = new StatementEntry("st_july_2", orgId, "pt/1", July, Now.AddHours(1));
        await _store.SaveStatementAsync(regenerated, Cancellation);
        await _store.SaveStatementAsync(new StatementEntry("st_other", orgId, "pt_2", July, Now), Cancellation);
        await _store.SaveStatementAsync(new StatementEntry("st_other_org", NewOrgId(), "pt/1", July, Now), Cancellation);

        var first = await _store.ListStatementsAsync(orgId, "pt/1", new PageRequest(2), Cancellation);
        var second = await _store.ListStatementsAsync(orgId, "pt/1", new PageRequest(2, first.Next), Cancellation);

        // The quarter and July both start on 1 July: the id decides between them.
        Assert.Equal(["st_july_2", "st_2026-Q3", "st_2026-06", "st_2026-05"], first.Items.Concat(second.Items).Select(e => e.Id));
        Assert.Equal(regenerated, first.Items[0]);
        Assert.Null(second.Next);
    }

    [Fact]
    public async Task Reconciliations_ListedNewestFirst_PageByPage()
    {
        var orgId = NewOrgId();
        var entries = new List<ReconciliationEntry>();
        for (var i = 0; i < 3; i++)
        {
            var entry = new ReconciliationEntry($"rc_{i}", orgId, Start, Start.AddDays(1), Now, i, 3 - i);
            entries.Add(entry);
            await _store.SaveReconciliationAsync(entry, Cancellation);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        await _store.SaveReconciliationAsync(entries[0] with { OrgId = NewOrgId() }, Cancellation);

        var first = await _store.ListReconciliationsAsync(orgId, new PageRequest(2), Cancellation);
        var second = await _store.ListReconciliationsAsync(orgId, new PageRequest(2, first.Next), Cancellation);

        Assert.Equal([entries[2], entries[1], entries[0]], first.Items.Concat(second.Items));
        Assert.Null(second.Next);
    }

    [Theory]
    [MemberData(nameof(AwkwardIds), MemberType = typeof(PayoutStoreContractTests))]
    public async Task Transfers_AddedOnce_ReadById_ListedByCreationTime(string transferId)
    {
        var orgId = NewOrgId();
        var transfer = new ProviderTransfer(transferId, "po_1", "USD", 10_000, Now, Reversed: false);
        var later = new ProviderTransfer("tr_later", "po_2", "JPY", 500, Now.AddHours(1), Reversed: false);

        Assert.True(await _store.TryAddTransferAsync(orgId, transfer, Cancellation));
        Assert.False(await _store.TryAddTransferAsync(orgId, transfer with { Amount = 1 }, Cancellation));
        Assert.True(await _store.TryAddTransferAsync(orgId, later, Cancellation));

        Assert.Equal(transfer, await _store.GetTransferAsync(orgId, transferId, Cancellation));
        Assert.Null(await _store.GetTransferAsync(NewOrgId(), transferId, Cancellation));
        Assert.Equal([transfer], await _store.GetTransfersAsync(orgId, Now, later.CreatedAt, Cancellation).ToListAsync(Cancellation));

        var reversed = transfer with { Reversed = true };
        await _store.SaveTransferAsync(orgId, reversed, Cancellation);
        Assert.Equal(reversed, await _store.GetTransferAsync(orgId, transferId, Cancellation));
        Assert.Equal(2, await _store.GetTransfersAsync(orgId, Now, later.CreatedAt.AddTicks(1), Cancellation).CountAsync(Cancellation));
    }

    private static string NewOrgId() => "org_" + Guid.NewGuid().ToString("N")[..12];

    private static Period ParsePeriod(string text) =>
        Period.TryParse(text, out var period) ? period : throw new ArgumentException($"'{text}' is not a period.", nameof(text));

    private static PayoutDraft Draft(string orgId, string id, string partnerId = "pt_1", long amount = 10_000, Currency? currency = null, Period? period = null) =>
        new(id, orgId, partnerId, new Money(amount, currency ?? Usd), period ?? July, Notes: null, Metadata: null);

    private async Task<Payout> CreatePayoutAsync(
        string orgId, string id, string partnerId = "pt_1", long amount = 10_000, Currency? currency = null, Period? period = null)
    {
        var created = Payout.Create(Draft(orgId, id, partnerId, amount, currency, period), Manager, Now);
        Assert.True(await _store.TrySaveChangeAsync(created, current: null, Cancellation), $"Creating payout {id} failed.");
        return created.Payout;
    }

    /// <summary>Creates the payouts one minute apart, so that their order is the order of the ids given.</summary>
    private async Task<IReadOnlyList<Payout>> CreatePayoutsAsync(string orgId, params string[] ids)
    {
        var payouts = new List<Payout>();
        foreach (var id in ids)
        {
            payouts.Add(await CreatePayoutAsync(orgId, id));
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        return payouts;
    }

    private async Task<Payout> SaveAsync(Payout current, Outcome<PayoutEvent> decision)
    {
        var change = decision.Value;
        Assert.True(await _store.TrySaveChangeAsync(change, current, Cancellation), $"{change.Action} of payout {current.Id} failed.");
        return change.Payout;
    }

    private async Task<Payout> PayAsync(Payout pending)
    {
        var approved = await SaveAsync(pending, pending.Approve(Approver, ApprovalPolicy.Default, Now));
        return await SaveAsync(approved, approved.MarkPaid(Actor.System, "tr_" + pending.Id, Now));
    }

    /// <summary>
    /// pt_1: USD 100 and 200 pending, USD 300 approved, EUR 50 pending (Q3); pt_2: USD 400 rejected, JPY 700 paid;
    /// plus a deleted payout and another organization's payout, neither of which may count.
    /// </summary>
    private async Task<string> CreateTotalsFixtureAsync()
    {
        var orgId = NewOrgId();
        await CreatePayoutAsync(orgId, "po_1", amount: 100);
        await CreatePayoutAsync(orgId, "po_2", amount: 200);
        var approved = await CreatePayoutAsync(orgId, "po_3", amount: 300);
        await SaveAsync(approved, approved.Approve(Approver, ApprovalPolicy.Default, Now));
        await CreatePayoutAsync(orgId, "po_4", amount: 50, currency: Eur, period: ThirdQuarter);
        var rejected = await CreatePayoutAsync(orgId, "po_5", partnerId: "pt_2", amount: 400);
        await SaveAsync(rejected, rejected.Reject(Approver, "duplicate", Now));
        await PayAsync(await CreatePayoutAsync(orgId, "po_6", partnerId: "pt_2", amount: 700, currency: Jpy));
        var deleted = await CreatePayoutAsync(orgId, "po_7", amount: 9_000);
        await SaveAsync(deleted, deleted.Delete(Manager, Now));
        await CreatePayoutAsync(NewOrgId(), "po_1", amount: 8_000);
        return orgId;
    }

    /// <summary>
    /// Reads the event log on from <paramref name="position"/> until <paramref name="count"/> events of the organization
    /// came back, each read within <paramref name="max"/>. The log is global (other tests write to it too), so only the
    /// organization's events are kept, and positions are opaque.
    /// </summary>
    private async Task<(List<PayoutEvent> Events, string? Position)> ReadEventsOfAsync(string orgId, string? position, int count, int max = 1_000)
    {
        var events = new List<PayoutEvent>();
        for (var reads = 1; events.Count < count; reads++)
        {
            Assert.True(reads <= MaxEventLogReads, $"Only {events.Count} of the {count} events of {orgId} came back in {MaxEventLogReads} reads.");
            var page = await _store.ReadEventLogAsync(position, max, Cancellation);
            Assert.InRange(page.Events.Count, 0, max);
            events.AddRange(page.Events.Where(change => change.OrgId == orgId));
            position = page.Position;
        }

        return (events, position);
    }

    /// <summary>Reads on from <paramref name="position"/> until a read finds nothing new, and returns that read.</summary>
    private async Task<EventLogPage> ReadToEndAsync(string? position)
    {
        for (var reads = 1; reads <= MaxEventLogReads; reads++)
        {
            var page = await _store.ReadEventLogAsync(position, 1_000, Cancellation);
            if (page.Events.Count == 0)
            {
                return page;
            }

            position = page.Position;
        }

        Assert.Fail($"The event log still had new events after {MaxEventLogReads} reads.");
        return null!;
    }

    private static IEnumerable<PayoutTotal> Sorted(IEnumerable<PayoutTotal> totals) =>
        totals.OrderBy(total => total.Currency.Code, StringComparer.Ordinal).ThenBy(total => total.Status);

    private Partner NewPartner(string orgId, string id) =>
        new(id, orgId, "Partner " + id, id + "@example.com", 1_000, Usd, "acct_" + id, Now, Now, 1);

    private static OrganizationSettings Settings(string orgId, long version) =>
        new(orgId, new Dictionary<string, long> { ["USD"] = 5_000, ["JPY"] = 1_000 }, true, ["finance@example.com"], version);

    private IdempotencyRecord NewRecord(string orgId, string key, string requestHash = "hash_1") =>
        new(orgId, key, requestHash, Now, Now.AddMinutes(1), Now.AddHours(24), Response: null);

    // Payout holds a dictionary, so record equality would compare references; a store that returns copies is fine.
    private static void AssertSamePayout(Payout expected, Payout? actual)
    {
        Assert.NotNull(actual);
        Assert.Equivalent(expected, actual, strict: true);
    }

    private static void AssertSameEvents(IEnumerable<PayoutEvent> expected, IEnumerable<PayoutEvent> actual)
    {
        var expectedList = expected.ToList();
        var actualList = actual.ToList();
        Assert.Equal(expectedList.Select(change => change.Id), actualList.Select(change => change.Id));
        foreach (var (want, got) in expectedList.Zip(actualList))
        {
            Assert.Equivalent(want, got, strict: true);
        }
    }

    private static void AssertSameSettings(OrganizationSettings expected, OrganizationSettings? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.OrgId, actual.OrgId);
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.AutomaticPayments, actual.AutomaticPayments);
        Assert.Equal(expected.ApproverEmails, actual.ApproverEmails);
        Assert.Equal(
            expected.MinimumPayouts.OrderBy(entry => entry.Key, StringComparer.Ordinal),
            actual.MinimumPayouts.OrderBy(entry => entry.Key, StringComparer.Ordinal));
    }

    // SavedResponse holds a byte array, so record equality would compare references.
    private static void AssertSameRecord(IdempotencyRecord expected, IdempotencyRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected with { Response = null }, actual with { Response = null });
        if (expected.Response is not { } response)
        {
            Assert.Null(actual.Response);
            return;
        }

        Assert.NotNull(actual.Response);
        Assert.Equal(
            (response.StatusCode, response.ContentType, response.Location, response.ETag),
            (actual.Response.StatusCode, actual.Response.ContentType, actual.Response.Location, actual.Response.ETag));
        Assert.Equal(response.Body, actual.Response.Body);
    }
}
