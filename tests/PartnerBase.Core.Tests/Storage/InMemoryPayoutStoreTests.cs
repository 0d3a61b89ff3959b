using Microsoft.Extensions.Time.Testing;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;

namespace PartnerBase.Core.Tests.Storage;

public class InMemoryPayoutStoreTests
{
    private const string OrgId = "org_1";

    private static readonly Actor Manager = Actor.User("alice");
    private static readonly Actor Approver = Actor.User("bob");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemoryPayoutStore _store;

    public InMemoryPayoutStoreTests()
    {
        _store = new InMemoryPayoutStore(_time);
    }

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TrySaveChangeAsync_StaleVersion_ReturnsFalseAndWritesNothing()
    {
        var created = await CreateAsync("po_1");
        var approved = created.Approve(Approver, _time.GetUtcNow()).Value;
        Assert.True(await _store.TrySaveChangeAsync(approved, created, Cancellation));

        // Decided from version 1 while another writer already moved the payout to version 2.
        var rejected = created.Reject(Approver, "late", _time.GetUtcNow()).Value;

        Assert.False(await _store.TrySaveChangeAsync(rejected, created, Cancellation));
        Assert.Equal(approved.Payout, await _store.GetPayoutAsync(OrgId, "po_1", Cancellation));
        Assert.Equal(2, (await _store.GetPayoutEventsAsync(OrgId, "po_1", cancellationToken: Cancellation)).Count);
    }

    [Fact]
    public async Task TrySaveChangeAsync_DuplicateCreate_ReturnsFalseAndKeepsFirst()
    {
        var first = await CreateAsync("po_1");

        var duplicate = Payout.Create(TestDraft("po_1", amount: 777), Approver, _time.GetUtcNow());

        Assert.False(await _store.TrySaveChangeAsync(duplicate, null, Cancellation));
        Assert.Equal(first, await _store.GetPayoutAsync(OrgId, "po_1", Cancellation));
    }

    [Fact]
    public async Task TrySaveChangeAsync_Delete_RemovesPayoutButKeepsEvents()
    {
        var created = await CreateAsync("po_1");
        var deleted = created.Delete(Manager, _time.GetUtcNow()).Value;

        Assert.True(await _store.TrySaveChangeAsync(deleted, created, Cancellation));

        Assert.Null(await _store.GetPayoutAsync(OrgId, "po_1", Cancellation));
        Assert.Empty((await _store.ListPayoutsAsync(OrgId, PayoutFilter.All, new PageRequest(10), Cancellation)).Items);
        var events = await _store.GetPayoutEventsAsync(OrgId, "po_1", cancellationToken: Cancellation);
        Assert.Equal([PayoutAction.Create, PayoutAction.Delete], events.Select(change => change.Action));
        Assert.Equal(2, (await _store.ListEventsAsync(OrgId, "po_1", new PageRequest(10), Cancellation)).Items.Count);
    }

    [Fact]
    public async Task TrySaveChangeAsync_CreateAfterDelete_ReturnsFalse()
    {
        var created = await CreateAsync("po_1");
        Assert.True(await _store.TrySaveChangeAsync(created.Delete(Manager, _time.GetUtcNow()).Value, created, Cancellation));

        // Reusing the id would append a second history to the kept audit trail of the deleted payout.
        var again = Payout.Create(TestDraft("po_1"), Manager, _time.GetUtcNow());

        Assert.False(await _store.TrySaveChangeAsync(again, null, Cancellation));
        Assert.Null(await _store.GetPayoutAsync(OrgId, "po_1", Cancellation));
    }

    [Fact]
    public async Task ListPayoutsAsync_PagesOfTwo_ReturnEveryPayoutOnceNewestFirst()
    {
        string[] ids = ["po_1", "po_2", "po_3", "po_4", "po_5"];
        foreach (var id in ids)
        {
            await CreateAsync(id);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        var first = await _store.ListPayoutsAsync(OrgId, PayoutFilter.All, new PageRequest(2), Cancellation);
        var second = await _store.ListPayoutsAsync(OrgId, PayoutFilter.All, new PageRequest(2, first.Next), Cancellation);
        var third = await _store.ListPayoutsAsync(OrgId, PayoutFilter.All, new PageRequest(2, second.Next), Cancellation);

        Assert.Equal(["po_5", "po_4"], first.Items.Select(payout => payout.Id));
        Assert.Equal(["po_3", "po_2"], second.Items.Select(payout => payout.Id));
        Assert.Equal(["po_1"], third.Items.Select(payout => payout.Id));
        Assert.NotNull(first.Next);
        Assert.NotNull(second.Next);
        Assert.Null(third.Next);
    }

    [Fact]
    public async Task ListPayoutsAsync_SameCreatedAt_BreaksTieByIdDescending()
    {
        // Commission runs create many payouts in the same instant; a page boundary inside such a tie must lose nothing.
        foreach (var id in new[] { "po_a", "po_c", "po_b" })
        {
            await CreateAsync(id);
        }

        var first = await _store.ListPayoutsAsync(OrgId, PayoutFilter.All, new PageRequest(2), Cancellation);
        var second = await _store.ListPayoutsAsync(OrgId, PayoutFilter.All, new PageRequest(2, first.Next), Cancellation);

        Assert.Equal(["po_c", "po_b"], first.Items.Select(payout => payout.Id));
        Assert.Equal(["po_a"], second.Items.Select(payout => payout.Id));
        Assert.Null(second.Next);
    }

    [Fact]
    public async Task ListPayoutsAsync_CursorTakenBeforeNewPayouts_YieldsSameNextPage()
    {
        foreach (var id in new[] { "po_1", "po_2", "po_3", "po_4", "po_5" })
        {
            await CreateAsync(id);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        var first = await _store.ListPayoutsAsync(OrgId, PayoutFilter.All, new PageRequest(2), Cancellation);
        var before = await _store.ListPayoutsAsync(OrgId, PayoutFilter.All, new PageRequest(2, first.Next), Cancellation);

        await CreateAsync("po_6");
        _time.Advance(TimeSpan.FromMinutes(1));
        await CreateAsync("po_7");
        var after = await _store.ListPayoutsAsync(OrgId, PayoutFilter.All, new PageRequest(2, first.Next), Cancellation);

        Assert.Equal(before.Items.Select(payout => payout.Id), after.Items.Select(payout => payout.Id));
        Assert.Equal(before.Next, after.Next);
    }

    [Fact]
    public async Task GetIdempotencyRecordAsync_AtExpiresAt_ReturnsNullAndKeyIsFreeAgain()
    {
        var now = _time.GetUtcNow();
        var record = new IdempotencyRecord(OrgId, "key_1", "hash_1", now, now.AddMinutes(1), now.AddHours(24), null);
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(record, Cancellation));

        _time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        Assert.Equal(record, await _store.GetIdempotencyRecordAsync(OrgId, "key_1", Cancellation));
        Assert.False(await _store.TryCreateIdempotencyRecordAsync(record with { RequestHash = "hash_2" }, Cancellation));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await _store.GetIdempotencyRecordAsync(OrgId, "key_1", Cancellation));

        var later = _time.GetUtcNow();
        Assert.True(await _store.TryCreateIdempotencyRecordAsync(
            new IdempotencyRecord(OrgId, "key_1", "hash_2", later, later.AddMinutes(1), later.AddHours(24), null), Cancellation));
    }

    private static PayoutDraft TestDraft(string id, long amount = 10_000) =>
        new(id, OrgId, "pa_1", new Money(amount, Currency.Parse("USD")), Period.Month(2026, 7), null, null);

    private async Task<Payout> CreateAsync(string id)
    {
        var created = Payout.Create(TestDraft(id), Manager, _time.GetUtcNow());
        Assert.True(await _store.TrySaveChangeAsync(created, null, Cancellation));
        return created.Payout;
    }
}
