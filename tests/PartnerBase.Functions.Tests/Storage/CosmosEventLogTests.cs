using Microsoft.Azure.Cosmos;
using PartnerBase.Core;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Functions.Cosmos;

namespace PartnerBase.Functions.Tests.Storage;

/// <summary>
/// What the Cosmos store's event log (the change feed) costs, and how it passes pages without events. Each test has
/// a container and a client of its own, so that the feed holds only its documents and the request counter sees only
/// its requests.
/// </summary>
public sealed class CosmosEventLogTests(CosmosServer server) : IAsyncLifetime
{
    private static readonly Actor Manager = Actor.User("manager-1");
    private static readonly Currency Usd = Currency.Parse("USD");

    private readonly CosmosRequestCounter _requests = new();
    private readonly string _orgId = "org_" + Guid.NewGuid().ToString("N")[..12];
    private CosmosClient _client = null!;
    private Container _container = null!;
    private CosmosPayoutStore _store = null!;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _client = CosmosServices.CreateClient(server.Options, _requests, isDevelopment: true);
        var database = _client.GetDatabase(server.Database);
        _container = (await database.CreateContainerAsync(CosmosServices.PayoutsContainer("eventlog-" + Guid.NewGuid().ToString("N")[..8]))).Container;
        _store = new CosmosPayoutStore(_container, TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        await _container.DeleteContainerAsync();
        _client.Dispose();
    }

    [Fact]
    public async Task ReadEventLogAsync_WarmClient_SendsOneRequestPerRead()
    {
        var caughtUp = (await _store.ReadEventLogAsync(null, 100, Cancellation)).Position;
        var created = await CreatePayoutsAsync("po_1", "po_2", "po_3");

        var (page, requests) = await CountAsync(() => _store.ReadEventLogAsync(caughtUp, 100, Cancellation));
        var (nothingNew, requestsWhenCaughtUp) = await CountAsync(() => _store.ReadEventLogAsync(page.Position, 100, Cancellation));

        Assert.Equal(created.Select(change => change.Id), page.Events.Select(change => change.Id));
        Assert.Equal(1, requests);
        Assert.Empty(nothingNew.Events);
        Assert.Equal(1, requestsWhenCaughtUp);
    }

    [Fact]
    public async Task ReadEventLogAsync_PagesWithoutEvents_ReadsOnToTheNextEvent()
    {
        var start = (await _store.ReadEventLogAsync(null, 4, Cancellation)).Position;
        await CreatePartnersAsync(10);
        var created = await CreatePayoutsAsync("po_1");

        // 10 partners, then the event: pages of 4, 4 and 2 + the event.
        var (page, requests) = await CountAsync(() => _store.ReadEventLogAsync(start, 4, Cancellation));

        Assert.Equal(created.Select(change => change.Id), page.Events.Select(change => change.Id));
        Assert.Equal(3, requests);
    }

    [Fact]
    public async Task ReadEventLogAsync_MoreDocumentsWithoutEventsThanItScans_StopsAndReadingOnFindsTheEvent()
    {
        var start = (await _store.ReadEventLogAsync(null, 2, Cancellation)).Position;
        await CreatePartnersAsync(20);
        var created = await CreatePayoutsAsync("po_1");

        // One read scans at most 4 × max = 8 documents: 4 pages of 2 partners.
        var (first, requests) = await CountAsync(() => _store.ReadEventLogAsync(start, 2, Cancellation));
        var position = first.Position;
        var events = new List<PayoutEvent>(first.Events);
        for (var reads = 0; events.Count == 0 && reads < 10; reads++)
        {
            var page = await _store.ReadEventLogAsync(position, 2, Cancellation);
            events.AddRange(page.Events);
            position = page.Position;
        }

        Assert.Empty(first.Events);
        Assert.Equal(4, requests);
        Assert.Equal(created.Select(change => change.Id), events.Select(change => change.Id));
    }

    [Fact]
    public async Task ReadEventLogAsync_OnlyDocumentsWithoutEvents_StopsWhenCaughtUp()
    {
        var start = (await _store.ReadEventLogAsync(null, 4, Cancellation)).Position;
        await CreatePartnersAsync(3);

        var (page, requests) = await CountAsync(() => _store.ReadEventLogAsync(start, 4, Cancellation));
        var created = await CreatePayoutsAsync("po_1");
        var next = await _store.ReadEventLogAsync(page.Position, 4, Cancellation);

        Assert.Empty(page.Events);
        Assert.Equal(2, requests);
        Assert.Equal(created.Select(change => change.Id), next.Events.Select(change => change.Id));
    }

    private async Task<(T Result, long Requests)> CountAsync<T>(Func<Task<T>> operation)
    {
        var before = _requests.Count;
        var result = await operation();
        return (result, _requests.Count - before);
    }

    private async Task<List<PayoutEvent>> CreatePayoutsAsync(params string[] ids)
    {
        var events = new List<PayoutEvent>();
        foreach (var id in ids)
        {
            var created = Payout.Create(new PayoutDraft(id, _orgId, "pt_1", new Money(10_000, Usd), Period.Month(2026, 7), null, null), Manager, DateTimeOffset.UtcNow);
            Assert.True(await _store.TrySaveChangeAsync(created, current: null, Cancellation));
            events.Add(created);
        }

        return events;
    }

    private async Task CreatePartnersAsync(int count)
    {
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            Assert.True(await _store.TryCreatePartnerAsync(new Partner($"pt_{i}", _orgId, "Partner", "p@example.com", 1_000, Usd, null, now, now, 1), Cancellation));
        }
    }
}
