using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using PartnerBase.Core;
using PartnerBase.Core.Commissions;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payments;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Reconciliation;
using PartnerBase.Core.Statements;
using PartnerBase.Core.Storage;
using PartnerBase.Core.Webhooks;

namespace PartnerBase.Functions.Cosmos;

/// <summary>
/// The payout store on Azure Cosmos DB for NoSQL (ARCHITECTURE.md decision 3). One container partitioned by
/// <c>/orgId</c>; every query is single-partition and also says <c>c.orgId = @orgId</c>.
/// <para>
/// A change is written as two documents: first the immutable event (its id is payout id + version, so of two
/// writers racing for one version exactly one creates it: that create is the commit point), then the payout's
/// state, replaced with If-Match on the ETag it was loaded with. A crash between the two leaves the state one
/// version behind its events; the next write of that payout collides with the existing event and repairs the
/// state from the events before reporting the conflict (<see cref="RepairAsync"/>), and so does the event
/// publisher. No TransactionalBatch is needed.
/// </para>
/// Uses the stream APIs: 404, 409 and 412 are expected answers here, not exceptions.
/// </summary>
public sealed class CosmosPayoutStore(Container container, TimeProvider timeProvider) : IPayoutStore
{
    private const int StreamPageSize = 1_000;
    private const int TotalsPageSize = 10_000;
    private const int RepairAttempts = 5;
    private const int HandledEventRetentionSeconds = 14 * 24 * 3600;

    // How many documents one event log read may scan, in multiples of its max, when pages hold no events (the
    // change feed also carries payouts, partners, attributions, idempotency records…).
    private const int EventLogScanFactor = 4;

    private static readonly Dictionary<string, PayoutStatus> StatusesByName =
        Enum.GetValues<PayoutStatus>().ToDictionary(PayoutTransitions.StatusName, StringComparer.Ordinal);

    // The ETag each payout was loaded with, keyed by the (immutable) instance, so that a change decided from that
    // instance is saved with If-Match and no second read.
    private readonly ConditionalWeakTable<Payout, string> _etags = [];

    // Likewise for attributions: a claim right after the read replaces with that ETag, without a second read.
    private readonly ConditionalWeakTable<Attribution, string> _attributionETags = [];

    // Event log readers' checkpoints, beside the payouts container (partition key /id).
    private readonly Container _leases = container.Database.GetContainer(CosmosServices.LeasesContainer);

    public async Task<Payout?> GetPayoutAsync(string orgId, string payoutId, CancellationToken cancellationToken = default)
    {
        var (document, etag) = await ReadAsync<PayoutDocument>(orgId, Documents.PayoutId(payoutId), cancellationToken);
        if (document is null)
        {
            return null;
        }

        _etags.AddOrUpdate(document.Payout, etag!);
        return document.Payout;
    }

    public async Task<bool> TrySaveChangeAsync(PayoutEvent change, Payout? current, CancellationToken cancellationToken = default)
    {
        if ((current?.Version ?? 0) != change.Sequence - 1)
        {
            return false;
        }

        string? etag = null;
        if (current is not null && !_etags.TryGetValue(current, out etag))
        {
            // Decided from a state this instance did not load: check it is what is stored before committing.
            var (stored, storedETag) = await ReadAsync<PayoutDocument>(change.OrgId, Documents.PayoutId(change.PayoutId), cancellationToken);
            if (stored?.Payout.Version != current.Version)
            {
                return false;
            }

            etag = storedETag;
        }

        if (await CreateAsync(change.OrgId, PayoutEventDocument.From(change), cancellationToken) == HttpStatusCode.Conflict)
        {
            // That version is taken: a concurrent writer won, or our state was behind its events after a crash.
            await RepairAsync(change.OrgId, change.PayoutId, cancellationToken);
            return false;
        }

        var id = Documents.PayoutId(change.PayoutId);
        var status = change.Action switch
        {
            PayoutAction.Create => await CreateAsync(change.OrgId, PayoutDocument.From(change.Payout), cancellationToken),
            PayoutAction.Delete => await DeleteAsync(change.OrgId, id, etag, cancellationToken),
            _ => await ReplaceAsync(change.OrgId, id, PayoutDocument.From(change.Payout), etag, cancellationToken),
        };
        if (status is not (HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.NoContent))
        {
            // The event is committed; bring the state to it (a repair or a later change may already have).
            await RepairAsync(change.OrgId, change.PayoutId, cancellationToken);
        }

        return true;
    }

    /// <summary>Brings a payout's state document up to its newest event; a no-op when it is current.</summary>
    public async Task RepairAsync(string orgId, string payoutId, CancellationToken cancellationToken = default)
    {
        var id = Documents.PayoutId(payoutId);
        for (var attempt = 0; attempt < RepairAttempts; attempt++)
        {
            var (document, etag) = await ReadAsync<PayoutDocument>(orgId, id, cancellationToken);
            var events = await GetPayoutEventsAsync(orgId, payoutId, document?.Payout.Version ?? 0, cancellationToken);
            if (events.Count == 0)
            {
                return;
            }

            var state = Payout.Replay(document?.Payout, events);
            var status = (state, document) switch
            {
                (null, null) => HttpStatusCode.NoContent,
                (null, _) => await DeleteAsync(orgId, id, etag, cancellationToken),
                (_, null) => await CreateAsync(orgId, PayoutDocument.From(state), cancellationToken),
                _ => await ReplaceAsync(orgId, id, PayoutDocument.From(state), etag, cancellationToken),
            };
            if (status is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.NoContent)
            {
                return;
            }
        }

        throw new InvalidOperationException($"Payout {payoutId} of {orgId} kept changing while it was being repaired.");
    }

    public async Task<Page<Payout>> ListPayoutsAsync(string orgId, PayoutFilter filter, PageRequest page, CancellationToken cancellationToken = default)
    {
        var query = PayoutQuery(orgId, filter, $"TOP {page.Limit + 1} *", page.After, "ORDER BY c.sortKey DESC");
        var items = await QueryAsync<PayoutDocument>(orgId, query, page.Limit + 1, cancellationToken).Select(d => d.Payout).ToListAsync(cancellationToken);
        return Page.FromOverfetch(items, page.Limit, payout => new PageKey(payout.CreatedAt, payout.Id));
    }

    public async Task<IReadOnlyList<PayoutTotal>> GetPayoutTotalsAsync(string orgId, PayoutFilter filter, CancellationToken cancellationToken = default)
    {
        var query = PayoutQuery(orgId, filter, "c.currency, c.status, c.amount", after: null, orderBy: "");
        var sums = new Dictionary<(string Currency, string Status), (long Count, long Amount)>();
        await foreach (var row in QueryAsync<TotalRow>(orgId, query, TotalsPageSize, cancellationToken))
        {
            var (count, amount) = sums.GetValueOrDefault((row.Currency, row.Status));
            sums[(row.Currency, row.Status)] = (count + 1, checked(amount + row.Amount));
        }

        return sums.Select(entry => new PayoutTotal(Currency.Parse(entry.Key.Currency), StatusesByName[entry.Key.Status], entry.Value.Count, entry.Value.Amount)).ToList();
    }

    public async Task<Payout?> GetLastPaidPayoutAsync(string orgId, string partnerId, CancellationToken cancellationToken = default)
    {
        var filter = new PayoutFilter(new HashSet<PayoutStatus> { PayoutStatus.Paid }, partnerId);
        var query = PayoutQuery(orgId, filter, "TOP 1 *", after: null, "ORDER BY c.paidKey DESC");
        return await QueryAsync<PayoutDocument>(orgId, query, 1, cancellationToken).Select(d => d.Payout).FirstOrDefaultAsync(cancellationToken);
    }

    public async Task<Page<PayoutEvent>> ListEventsAsync(string orgId, string? payoutId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var sql = new StringBuilder($"SELECT TOP {page.Limit + 1} * FROM c WHERE c.orgId = @orgId AND c.type = @type");
        if (payoutId is not null)
        {
            sql.Append(" AND c.payoutId = @payoutId");
        }

        if (page.After is not null)
        {
            sql.Append(" AND c.sortKey < @after");
        }

        var query = new QueryDefinition(sql.Append(" ORDER BY c.sortKey DESC").ToString())
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.PayoutEventType)
            .WithParameter("@payoutId", payoutId)
            .WithParameter("@after", page.After is { } key ? Documents.SortKey(key) : null);
        var items = await QueryAsync<PayoutEventDocument>(orgId, query, page.Limit + 1, cancellationToken).Select(d => d.Event).ToListAsync(cancellationToken);
        return Page.FromOverfetch(items, page.Limit, change => new PageKey(change.At, change.Id));
    }

    public async Task<IReadOnlyList<PayoutEvent>> GetPayoutEventsAsync(string orgId, string payoutId, long afterVersion = 0, CancellationToken cancellationToken = default)
    {
        var query = new QueryDefinition(
                "SELECT * FROM c WHERE c.orgId = @orgId AND c.type = @type AND c.payoutId = @payoutId AND c.sequence > @after ORDER BY c.sequence")
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.PayoutEventType)
            .WithParameter("@payoutId", payoutId)
            .WithParameter("@after", afterVersion);
        return await QueryAsync<PayoutEventDocument>(orgId, query, StreamPageSize, cancellationToken).Select(d => d.Event).ToListAsync(cancellationToken);
    }

    public async Task<Partner?> GetPartnerAsync(string orgId, string partnerId, CancellationToken cancellationToken = default) =>
        (await ReadAsync<PartnerDocument>(orgId, Documents.PartnerId(partnerId), cancellationToken)).Document?.Partner;

    public async Task<IReadOnlyList<Partner>> GetPartnersAsync(string orgId, IReadOnlyCollection<string> partnerIds, CancellationToken cancellationToken = default)
    {
        var ids = partnerIds.Distinct().Select(Documents.PartnerId).Where(Documents.IsValidId).ToArray();
        if (ids.Length == 0)
        {
            return [];
        }

        var query = new QueryDefinition("SELECT * FROM c WHERE c.orgId = @orgId AND c.type = @type AND ARRAY_CONTAINS(@ids, c.id)")
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.PartnerType)
            .WithParameter("@ids", ids);
        return await QueryAsync<PartnerDocument>(orgId, query, ids.Length, cancellationToken).Select(d => d.Partner).ToListAsync(cancellationToken);
    }

    public async Task<Page<Partner>> ListPartnersAsync(string orgId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var query = new QueryDefinition(
                $"SELECT TOP {page.Limit + 1} * FROM c WHERE c.orgId = @orgId AND c.type = @type{(page.After is null ? "" : " AND c.sortKey < @after")} ORDER BY c.sortKey DESC")
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.PartnerType)
            .WithParameter("@after", page.After is { } key ? Documents.SortKey(key) : null);
        var items = await QueryAsync<PartnerDocument>(orgId, query, page.Limit + 1, cancellationToken).Select(d => d.Partner).ToListAsync(cancellationToken);
        return Page.FromOverfetch(items, page.Limit, partner => new PageKey(partner.CreatedAt, partner.Id));
    }

    public async Task<bool> TryCreatePartnerAsync(Partner partner, CancellationToken cancellationToken = default) =>
        await CreateAsync(partner.OrgId, PartnerDocument.From(partner), cancellationToken) == HttpStatusCode.Created;

    public async Task<bool> TryUpdatePartnerAsync(Partner partner, CancellationToken cancellationToken = default)
    {
        var id = Documents.PartnerId(partner.Id);
        var (current, etag) = await ReadAsync<PartnerDocument>(partner.OrgId, id, cancellationToken);
        return current?.Partner.Version == partner.Version - 1
            && await ReplaceAsync(partner.OrgId, id, PartnerDocument.From(partner), etag, cancellationToken) == HttpStatusCode.OK;
    }

    public async Task<OrganizationSettings?> GetOrganizationAsync(string orgId, CancellationToken cancellationToken = default) =>
        (await ReadAsync<OrganizationDocument>(orgId, Documents.OrganizationId, cancellationToken)).Document?.Settings;

    public async Task<bool> TrySaveOrganizationAsync(OrganizationSettings settings, CancellationToken cancellationToken = default)
    {
        var document = OrganizationDocument.From(settings);
        if (settings.Version == 1)
        {
            return await CreateAsync(settings.OrgId, document, cancellationToken) == HttpStatusCode.Created;
        }

        var (current, etag) = await ReadAsync<OrganizationDocument>(settings.OrgId, Documents.OrganizationId, cancellationToken);
        return current?.Settings.Version == settings.Version - 1
            && await ReplaceAsync(settings.OrgId, Documents.OrganizationId, document, etag, cancellationToken) == HttpStatusCode.OK;
    }

    public async Task<IdempotencyRecord?> GetIdempotencyRecordAsync(string orgId, string key, CancellationToken cancellationToken = default)
    {
        var (document, _) = await ReadAsync<IdempotencyDocument>(orgId, Documents.IdempotencyId(key), cancellationToken);
        return document?.Record is { } record && record.ExpiresAt > timeProvider.GetUtcNow() ? record : null;
    }

    public async Task<bool> TryCreateIdempotencyRecordAsync(IdempotencyRecord record, CancellationToken cancellationToken = default)
    {
        var document = IdempotencyDocument.From(record, timeProvider.GetUtcNow());
        if (await CreateAsync(record.OrgId, document, cancellationToken) == HttpStatusCode.Created)
        {
            return true;
        }

        // TTL deletion lags expiry (and local emulators never delete): an expired record may be taken over.
        var (existing, etag) = await ReadAsync<IdempotencyDocument>(record.OrgId, document.Id, cancellationToken);
        return existing is null
            ? await CreateAsync(record.OrgId, document, cancellationToken) == HttpStatusCode.Created
            : existing.Record.ExpiresAt <= timeProvider.GetUtcNow()
              && await ReplaceAsync(record.OrgId, document.Id, document, etag, cancellationToken) == HttpStatusCode.OK;
    }

    public async Task CompleteIdempotencyRecordAsync(IdempotencyRecord record, CancellationToken cancellationToken = default)
    {
        using var response = await container.UpsertItemStreamAsync(
            Serialize(IdempotencyDocument.From(record, timeProvider.GetUtcNow())), new PartitionKey(record.OrgId), NoContent, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task DeleteIdempotencyRecordAsync(string orgId, string key, CancellationToken cancellationToken = default) =>
        await DeleteAsync(orgId, Documents.IdempotencyId(key), etag: null, cancellationToken);

    public async Task<bool> IsEventHandledAsync(string orgId, string consumer, string eventId, CancellationToken cancellationToken = default) =>
        (await ReadAsync<HandledEventDocument>(orgId, Documents.HandledEventId(consumer, eventId), cancellationToken)).Document is not null;

    public async Task MarkEventHandledAsync(string orgId, string consumer, string eventId, CancellationToken cancellationToken = default)
    {
        var document = new HandledEventDocument(Documents.HandledEventId(consumer, eventId), orgId, Documents.HandledEventType, HandledEventRetentionSeconds, consumer, eventId);
        using var response = await container.UpsertItemStreamAsync(Serialize(document), new PartitionKey(orgId), NoContent, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task<IReadOnlyList<Attribution>> GetAttributionsAsync(string orgId, IReadOnlyCollection<string> attributionIds, CancellationToken cancellationToken = default)
    {
        var ids = attributionIds.Distinct().Select(Documents.AttributionId).Where(Documents.IsValidId).ToArray();
        if (ids.Length == 0)
        {
            return [];
        }

        var query = new QueryDefinition("SELECT * FROM c WHERE c.orgId = @orgId AND c.type = @type AND ARRAY_CONTAINS(@ids, c.id)")
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.AttributionType)
            .WithParameter("@ids", ids);
        return await QueryAsync<AttributionDocument>(orgId, query, ids.Length, cancellationToken).Select(Remember).ToListAsync(cancellationToken);
    }

    public async Task<bool> TrySaveAttributionAsync(Attribution attribution, Attribution? current, CancellationToken cancellationToken = default)
    {
        var document = AttributionDocument.From(attribution);
        if (current is null)
        {
            return await CreateAsync(attribution.OrgId, document, cancellationToken) == HttpStatusCode.Created;
        }

        // The ETag the current version was read with (claims and imports read first), else one read.
        if (!_attributionETags.TryGetValue(current, out var etag))
        {
            var (stored, storedETag) = await ReadAsync<AttributionDocument>(attribution.OrgId, document.Id, cancellationToken);
            if (stored?.Attribution.Version != current.Version)
            {
                return false;
            }

            etag = storedETag;
        }

        return await ReplaceAsync(attribution.OrgId, document.Id, document, etag, cancellationToken) == HttpStatusCode.OK;
    }

    public IAsyncEnumerable<Attribution> GetDueAttributionsAsync(string orgId, DateTimeOffset periodEnd, CancellationToken cancellationToken = default)
    {
        var query = new QueryDefinition(
                "SELECT * FROM c WHERE c.orgId = @orgId AND c.type = @type AND ((c.state = @open AND c.closedKey < @end) OR c.state = @reversed)")
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.AttributionType)
            .WithParameter("@open", "open")
            .WithParameter("@reversed", "reversal_pending")
            .WithParameter("@end", Documents.TicksKey(periodEnd));
        return QueryAsync<AttributionDocument>(orgId, query, StreamPageSize, cancellationToken).Select(Remember);
    }

    public async Task<(long Commission, int Lines)> GetSettledLinesAsync(string orgId, string payoutId, CancellationToken cancellationToken = default)
    {
        var query = new QueryDefinition(
                "SELECT c.settlementPayoutId, c.settlementCommission, c.reversalPayoutId, c.reversalCommission FROM c " +
                "WHERE c.orgId = @orgId AND c.type = @type AND (c.settlementPayoutId = @payoutId OR c.reversalPayoutId = @payoutId)")
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.AttributionType)
            .WithParameter("@payoutId", payoutId);
        long commission = 0;
        var lines = 0;
        await foreach (var row in QueryAsync<SettlementRow>(orgId, query, TotalsPageSize, cancellationToken))
        {
            if (row.SettlementPayoutId == payoutId)
            {
                commission += row.SettlementCommission ?? 0;
                lines++;
            }

            if (row.ReversalPayoutId == payoutId)
            {
                commission += row.ReversalCommission ?? 0;
                lines++;
            }
        }

        return (commission, lines);
    }

    public IAsyncEnumerable<Attribution> GetSettledAttributionsAsync(string orgId, string payoutId, CancellationToken cancellationToken = default)
    {
        var query = new QueryDefinition(
                "SELECT * FROM c WHERE c.orgId = @orgId AND c.type = @type AND (c.settlementPayoutId = @payoutId OR c.reversalPayoutId = @payoutId)")
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.AttributionType)
            .WithParameter("@payoutId", payoutId);
        return QueryAsync<AttributionDocument>(orgId, query, StreamPageSize, cancellationToken).Select(d => d.Attribution);
    }

    public IAsyncEnumerable<Payout> GetPaidPayoutsAsync(string orgId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var query = new QueryDefinition(
                "SELECT * FROM c WHERE c.orgId = @orgId AND c.type = @type AND c.status = @paid AND c.paidKey >= @from AND c.paidKey < @to")
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.PayoutType)
            .WithParameter("@paid", PayoutTransitions.StatusName(PayoutStatus.Paid))
            .WithParameter("@from", Documents.TicksKey(from))
            .WithParameter("@to", Documents.TicksKey(to));
        return QueryAsync<PayoutDocument>(orgId, query, StreamPageSize, cancellationToken).Select(d => d.Payout);
    }

    public async Task SaveStatementAsync(StatementEntry entry, CancellationToken cancellationToken = default)
    {
        using var response = await container.UpsertItemStreamAsync(Serialize(StatementDocument.From(entry)), new PartitionKey(entry.OrgId), NoContent, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task<Page<StatementEntry>> ListStatementsAsync(string orgId, string partnerId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var query = new QueryDefinition(
                $"SELECT TOP {page.Limit + 1} * FROM c WHERE c.orgId = @orgId AND c.type = @type AND c.partnerId = @partnerId{(page.After is null ? "" : " AND c.sortKey < @after")} ORDER BY c.sortKey DESC")
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.StatementType)
            .WithParameter("@partnerId", partnerId)
            .WithParameter("@after", page.After is { } key ? Documents.SortKey(key) : null);
        var items = await QueryAsync<StatementDocument>(orgId, query, page.Limit + 1, cancellationToken).Select(d => d.Statement).ToListAsync(cancellationToken);
        return Page.FromOverfetch(items, page.Limit, InMemoryPayoutStore.StatementKey);
    }

    public async Task SaveReconciliationAsync(ReconciliationEntry entry, CancellationToken cancellationToken = default)
    {
        using var response = await container.UpsertItemStreamAsync(Serialize(ReconciliationDocument.From(entry)), new PartitionKey(entry.OrgId), NoContent, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task<Page<ReconciliationEntry>> ListReconciliationsAsync(string orgId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var query = new QueryDefinition(
                $"SELECT TOP {page.Limit + 1} * FROM c WHERE c.orgId = @orgId AND c.type = @type{(page.After is null ? "" : " AND c.sortKey < @after")} ORDER BY c.sortKey DESC")
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.ReconciliationType)
            .WithParameter("@after", page.After is { } key ? Documents.SortKey(key) : null);
        var items = await QueryAsync<ReconciliationDocument>(orgId, query, page.Limit + 1, cancellationToken).Select(d => d.Reconciliation).ToListAsync(cancellationToken);
        return Page.FromOverfetch(items, page.Limit, entry => new PageKey(entry.CreatedAt, entry.Id));
    }

    public async Task<bool> TryAddTransferAsync(string orgId, ProviderTransfer transfer, CancellationToken cancellationToken = default) =>
        await CreateAsync(orgId, TransferDocument.From(orgId, transfer), cancellationToken) == HttpStatusCode.Created;

    public async Task SaveTransferAsync(string orgId, ProviderTransfer transfer, CancellationToken cancellationToken = default)
    {
        using var response = await container.UpsertItemStreamAsync(Serialize(TransferDocument.From(orgId, transfer)), new PartitionKey(orgId), NoContent, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task<ProviderTransfer?> GetTransferAsync(string orgId, string transferId, CancellationToken cancellationToken = default) =>
        (await ReadAsync<TransferDocument>(orgId, Documents.TransferId(transferId), cancellationToken)).Document?.Transfer;

    public IAsyncEnumerable<ProviderTransfer> GetTransfersAsync(string orgId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.orgId = @orgId AND c.type = @type AND c.createdKey >= @from AND c.createdKey < @to")
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.TransferType)
            .WithParameter("@from", Documents.TicksKey(from))
            .WithParameter("@to", Documents.TicksKey(to));
        return QueryAsync<TransferDocument>(orgId, query, StreamPageSize, cancellationToken).Select(d => d.Transfer);
    }

    public async Task<IReadOnlyList<WebhookEndpoint>> ListWebhookEndpointsAsync(string orgId, CancellationToken cancellationToken = default)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.orgId = @orgId AND c.type = @type")
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.WebhookEndpointType);
        var endpoints = await QueryAsync<WebhookEndpointDocument>(orgId, query, StreamPageSize, cancellationToken).Select(d => d.Endpoint).ToListAsync(cancellationToken);
        return endpoints.OrderBy(e => e.CreatedAt).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
    }

    public async Task<WebhookEndpoint?> GetWebhookEndpointAsync(string orgId, string endpointId, CancellationToken cancellationToken = default) =>
        (await ReadAsync<WebhookEndpointDocument>(orgId, Documents.WebhookEndpointId(endpointId), cancellationToken)).Document?.Endpoint;

    public async Task<bool> TrySaveWebhookEndpointAsync(WebhookEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        var document = WebhookEndpointDocument.From(endpoint);
        if (endpoint.Version == 1)
        {
            return await CreateAsync(endpoint.OrgId, document, cancellationToken) == HttpStatusCode.Created;
        }

        var (current, etag) = await ReadAsync<WebhookEndpointDocument>(endpoint.OrgId, document.Id, cancellationToken);
        return current?.Endpoint.Version == endpoint.Version - 1
            && await ReplaceAsync(endpoint.OrgId, document.Id, document, etag, cancellationToken) == HttpStatusCode.OK;
    }

    public async Task<bool> DeleteWebhookEndpointAsync(string orgId, string endpointId, CancellationToken cancellationToken = default) =>
        Documents.IsValidId(Documents.WebhookEndpointId(endpointId))
        && await DeleteAsync(orgId, Documents.WebhookEndpointId(endpointId), null, cancellationToken) == HttpStatusCode.NoContent;

    public async Task<WebhookDelivery?> GetWebhookDeliveryAsync(string orgId, string deliveryId, CancellationToken cancellationToken = default) =>
        (await ReadAsync<WebhookDeliveryDocument>(orgId, Documents.WebhookDeliveryId(deliveryId), cancellationToken)).Document?.Delivery;

    public async Task<bool> TrySaveWebhookDeliveryAsync(WebhookDelivery delivery, CancellationToken cancellationToken = default)
    {
        var document = WebhookDeliveryDocument.From(delivery);
        if (delivery.Version == 1)
        {
            return await CreateAsync(delivery.OrgId, document, cancellationToken) == HttpStatusCode.Created;
        }

        var (current, etag) = await ReadAsync<WebhookDeliveryDocument>(delivery.OrgId, document.Id, cancellationToken);
        return current?.Delivery.Version == delivery.Version - 1
            && await ReplaceAsync(delivery.OrgId, document.Id, document, etag, cancellationToken) == HttpStatusCode.OK;
    }

    public async Task<Page<WebhookDelivery>> ListWebhookDeliveriesAsync(string orgId, string endpointId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var query = new QueryDefinition(
                $"SELECT TOP {page.Limit + 1} * FROM c WHERE c.orgId = @orgId AND c.type = @type AND c.endpointId = @endpointId{(page.After is null ? "" : " AND c.sortKey < @after")} ORDER BY c.sortKey DESC")
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.WebhookDeliveryType)
            .WithParameter("@endpointId", endpointId)
            .WithParameter("@after", page.After is { } key ? Documents.SortKey(key) : null);
        var items = await QueryAsync<WebhookDeliveryDocument>(orgId, query, page.Limit + 1, cancellationToken).Select(d => d.Delivery).ToListAsync(cancellationToken);
        return Page.FromOverfetch(items, page.Limit, d => new PageKey(d.CreatedAt, d.Id));
    }

    public async Task<IReadOnlyList<WebhookDelivery>> GetDueWebhookDeliveriesAsync(DateTimeOffset now, IReadOnlyCollection<string> exceptEndpoints, int max, CancellationToken cancellationToken = default)
    {
        // The one query across organizations: the sender's, a few times a second while it has work.
        var query = new QueryDefinition(
                $"SELECT TOP {max} * FROM c WHERE c.type = @type AND c.dueKey <= @now{(exceptEndpoints.Count == 0 ? "" : " AND NOT ARRAY_CONTAINS(@except, c.endpointId)")} ORDER BY c.dueKey")
            .WithParameter("@type", Documents.WebhookDeliveryType)
            .WithParameter("@now", Documents.TicksKey(now))
            .WithParameter("@except", exceptEndpoints.ToArray());
        var options = new QueryRequestOptions { MaxItemCount = max };
        using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: options);
        var due = new List<WebhookDelivery>();
        while (iterator.HasMoreResults && due.Count < max)
        {
            using var response = await iterator.ReadNextAsync(cancellationToken);
            response.EnsureSuccessStatusCode();
            var page = await JsonSerializer.DeserializeAsync<QueryPage<WebhookDeliveryDocument>>(response.Content, Documents.Json, cancellationToken);
            due.AddRange((page?.Documents ?? []).Select(d => d.Delivery));
        }

        return due;
    }

    public async Task<CommissionState?> GetCommissionStateAsync(string orgId, CancellationToken cancellationToken = default) =>
        (await ReadAsync<CommissionStateDocument>(orgId, Documents.CommissionStateId, cancellationToken)).Document?.State;

    public async Task<bool> TrySaveCommissionStateAsync(CommissionState state, CancellationToken cancellationToken = default)
    {
        var document = new CommissionStateDocument(Documents.CommissionStateId, state.OrgId, Documents.CommissionStateType, state);
        if (state.Version == 1)
        {
            return await CreateAsync(state.OrgId, document, cancellationToken) == HttpStatusCode.Created;
        }

        var (current, etag) = await ReadAsync<CommissionStateDocument>(state.OrgId, Documents.CommissionStateId, cancellationToken);
        return current?.State.Version == state.Version - 1
            && await ReplaceAsync(state.OrgId, Documents.CommissionStateId, document, etag, cancellationToken) == HttpStatusCode.OK;
    }

    public async Task RegisterOrganizationAsync(string orgId, CancellationToken cancellationToken = default) =>
        await CreateAsync(Documents.RegistryPartition, new RegistrationDocument(Documents.RegistrationId(orgId), Documents.RegistryPartition, Documents.RegistrationType, orgId), cancellationToken);

    public async Task<IReadOnlyList<string>> GetOrganizationsAsync(CancellationToken cancellationToken = default)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.orgId = @orgId AND c.type = @type")
            .WithParameter("@orgId", Documents.RegistryPartition)
            .WithParameter("@type", Documents.RegistrationType);
        return await QueryAsync<RegistrationDocument>(Documents.RegistryPartition, query, StreamPageSize, cancellationToken)
            .Select(d => d.Organization).Order(StringComparer.Ordinal).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// The container's change feed (pull model, latest version), which in commit order per partition key carries
    /// every event document once: event documents are only ever created. The position is the feed's continuation
    /// token. Reads pages until one holds an event, the feed is caught up (304), or
    /// <see cref="EventLogScanFactor"/> × <paramref name="max"/> documents were scanned; one request per page.
    /// </summary>
    public async Task<EventLogPage> ReadEventLogAsync(string? position, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var start = position is null ? ChangeFeedStartFrom.Beginning() : ChangeFeedStartFrom.ContinuationToken(position);
        using var iterator = container.GetChangeFeedStreamIterator(start, ChangeFeedMode.LatestVersion, new ChangeFeedRequestOptions { PageSizeHint = max });
        var events = new List<PayoutEvent>();
        long scanned = 0;
        var more = true;
        while (events.Count == 0 && scanned < (long)EventLogScanFactor * max)
        {
            using var response = await iterator.ReadNextAsync(cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                position = response.ContinuationToken ?? position;
                more = false;
                break;
            }

            response.EnsureSuccessStatusCode();
            position = response.ContinuationToken;
            var page = await JsonSerializer.DeserializeAsync<QueryPage<JsonElement>>(response.Content, Documents.Json, cancellationToken);
            var documents = page?.Documents ?? [];
            foreach (var document in documents)
            {
                if (document.TryGetProperty("type", out var type) && type.ValueEquals(Documents.PayoutEventType))
                {
                    events.Add(document.Deserialize<PayoutEventDocument>(Documents.Json)!.Event);
                }
            }

            if (documents.Count == 0)
            {
                more = false;
                break;
            }

            scanned += documents.Count;
        }

        return new EventLogPage(events, position, more);
    }

    public async Task<string?> GetEventLogPositionAsync(string reader, CancellationToken cancellationToken = default)
    {
        if (!Documents.IsValidId(reader))
        {
            return null;
        }

        using var response = await _leases.ReadItemStreamAsync(reader, new PartitionKey(reader), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return (await JsonSerializer.DeserializeAsync<EventLogPositionDocument>(response.Content, Documents.Json, cancellationToken))?.Position;
    }

    public async Task SaveEventLogPositionAsync(string reader, string position, CancellationToken cancellationToken = default)
    {
        if (!Documents.IsValidId(reader))
        {
            throw new ArgumentException($"'{reader}' cannot be a document id.", nameof(reader));
        }

        var document = new EventLogPositionDocument(reader, Documents.EventLogPositionType, position);
        using var response = await _leases.UpsertItemStreamAsync(Serialize(document), new PartitionKey(reader), NoContent, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private static ItemRequestOptions NoContent { get; } = new() { EnableContentResponseOnWrite = false };

    private static QueryDefinition PayoutQuery(string orgId, PayoutFilter filter, string select, PageKey? after, string orderBy)
    {
        var sql = new StringBuilder($"SELECT {select} FROM c WHERE c.orgId = @orgId AND c.type = @type");
        if (filter.Statuses is not null)
        {
            sql.Append(" AND ARRAY_CONTAINS(@statuses, c.status)");
        }

        if (filter.PartnerId is not null)
        {
            sql.Append(" AND c.partnerId = @partnerId");
        }

        if (filter.Period is not null)
        {
            sql.Append(" AND c.period = @period");
        }

        if (after is not null)
        {
            sql.Append(" AND c.sortKey < @after");
        }

        return new QueryDefinition(sql.Append(' ').Append(orderBy).ToString())
            .WithParameter("@orgId", orgId)
            .WithParameter("@type", Documents.PayoutType)
            .WithParameter("@statuses", filter.Statuses?.Select(PayoutTransitions.StatusName).ToArray())
            .WithParameter("@partnerId", filter.PartnerId)
            .WithParameter("@period", filter.Period?.ToString())
            .WithParameter("@after", after is { } key ? Documents.SortKey(key) : null);
    }

    private async IAsyncEnumerable<T> QueryAsync<T>(string orgId, QueryDefinition query, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Optimistic direct execution sends a single-partition query straight to the partition, without first
        // asking the gateway for a query plan: one request per page instead of two.
        var options = new QueryRequestOptions { PartitionKey = new PartitionKey(orgId), MaxItemCount = pageSize, EnableOptimisticDirectExecution = true };
        using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: options);
        while (iterator.HasMoreResults)
        {
            using var response = await iterator.ReadNextAsync(cancellationToken);
            response.EnsureSuccessStatusCode();
            var page = await JsonSerializer.DeserializeAsync<QueryPage<T>>(response.Content, Documents.Json, cancellationToken);
            foreach (var item in page?.Documents ?? [])
            {
                yield return item;
            }
        }
    }

    private async Task<(T? Document, string? ETag)> ReadAsync<T>(string orgId, string id, CancellationToken cancellationToken)
        where T : class
    {
        if (!Documents.IsValidId(id))
        {
            return (null, null);
        }

        using var response = await container.ReadItemStreamAsync(id, new PartitionKey(orgId), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return (null, null);
        }

        response.EnsureSuccessStatusCode();
        return (await JsonSerializer.DeserializeAsync<T>(response.Content, Documents.Json, cancellationToken), response.Headers.ETag);
    }

    /// <summary>201, or 409 when the id exists.</summary>
    private async Task<HttpStatusCode> CreateAsync<T>(string orgId, T document, CancellationToken cancellationToken)
    {
        using var response = await container.CreateItemStreamAsync(Serialize(document), new PartitionKey(orgId), NoContent, cancellationToken);
        return Expect(response, HttpStatusCode.Conflict);
    }

    /// <summary>200, or 412 when the ETag moved on, or 404.</summary>
    private async Task<HttpStatusCode> ReplaceAsync<T>(string orgId, string id, T document, string? etag, CancellationToken cancellationToken)
    {
        var options = new ItemRequestOptions { IfMatchEtag = etag, EnableContentResponseOnWrite = false };
        using var response = await container.ReplaceItemStreamAsync(Serialize(document), id, new PartitionKey(orgId), options, cancellationToken);
        return Expect(response, HttpStatusCode.PreconditionFailed, HttpStatusCode.NotFound);
    }

    /// <summary>204, or 412 when the ETag moved on, or 404.</summary>
    private async Task<HttpStatusCode> DeleteAsync(string orgId, string id, string? etag, CancellationToken cancellationToken)
    {
        using var response = await container.DeleteItemStreamAsync(id, new PartitionKey(orgId), new ItemRequestOptions { IfMatchEtag = etag }, cancellationToken);
        return Expect(response, HttpStatusCode.PreconditionFailed, HttpStatusCode.NotFound);
    }

    private static HttpStatusCode Expect(ResponseMessage response, params HttpStatusCode[] expectedFailures)
    {
        if (!response.IsSuccessStatusCode && !expectedFailures.Contains(response.StatusCode))
        {
            response.EnsureSuccessStatusCode();
        }

        return response.StatusCode;
    }

    private static MemoryStream Serialize<T>(T document) => new(JsonSerializer.SerializeToUtf8Bytes(document, Documents.Json));


    private sealed record TotalRow(string Currency, string Status, long Amount);

    private sealed record SettlementRow(string? SettlementPayoutId, long? SettlementCommission, string? ReversalPayoutId, long? ReversalCommission);

    private Attribution Remember(AttributionDocument document)
    {
        if (document.ETag is not null)
        {
            _attributionETags.AddOrUpdate(document.Attribution, document.ETag);
        }

        return document.Attribution;
    }
}
