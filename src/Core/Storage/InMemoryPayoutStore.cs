using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using PartnerBase.Core.Commissions;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payments;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Reconciliation;
using PartnerBase.Core.Statements;
using PartnerBase.Core.Webhooks;

namespace PartnerBase.Core.Storage;

/// <summary>
/// The embedded store: one partition per organization, each behind its own lock, holding immutable objects.
/// It keeps the semantics of the Cosmos DB store: version checks on every write, one event id per version,
/// newest-first keyset pages, expiring idempotency records.
/// </summary>
public sealed class InMemoryPayoutStore(TimeProvider timeProvider) : IPayoutStore
{
    private const int StreamPageSize = 1_000;

    private readonly ConcurrentDictionary<string, Partition> _partitions = new(StringComparer.Ordinal);

    // Every event of every organization in commit order: the embedded default's outbox.
    private readonly List<PayoutEvent> _log = [];
    private readonly ConcurrentDictionary<string, string> _eventLogPositions = new(StringComparer.Ordinal);
    private readonly Lock _logGate = new();

    // Pending webhook deliveries of every organization by when they are due (taken after a partition's gate).
    private readonly SortedSet<DueKey> _due = [];
    private readonly Lock _dueGate = new();

    public Task<Payout?> GetPayoutAsync(string orgId, string payoutId, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult(partition.Payouts.GetValueOrDefault(payoutId));
        }
    }

    public Task<bool> TrySaveChangeAsync(PayoutEvent change, Payout? current, CancellationToken cancellationToken = default)
    {
        var partition = For(change.OrgId);
        lock (partition.Gate)
        {
            var storedVersion = partition.Payouts.GetValueOrDefault(change.PayoutId)?.Version ?? 0;
            if (storedVersion != (current?.Version ?? 0) || storedVersion != change.Sequence - 1 || partition.Events.ContainsKey(change.Id))
            {
                return Task.FromResult(false);
            }

            partition.Events.Add(change.Id, change);
            lock (_logGate)
            {
                _log.Add(change);
            }

            partition.EventOrder.Add(new PageKey(change.At, change.Id));
            if (!partition.EventsByPayout.TryGetValue(change.PayoutId, out var history))
            {
                partition.EventsByPayout[change.PayoutId] = history = [];
            }

            history.Add(change);
            var key = new PageKey(change.Payout.CreatedAt, change.PayoutId);
            var previous = partition.Payouts.GetValueOrDefault(change.PayoutId);
            if (previous is not null)
            {
                partition.Totals.Remove(previous);
            }

            if (change.Action != PayoutAction.Delete)
            {
                partition.Totals.Add(change.Payout);
            }

            if (change.Action == PayoutAction.Delete)
            {
                partition.Payouts.Remove(change.PayoutId);
                partition.PayoutOrder.Remove(key);
            }
            else
            {
                partition.Payouts[change.PayoutId] = change.Payout;
                partition.PayoutOrder.Add(key);
            }

            return Task.FromResult(true);
        }
    }

    public Task<Page<Payout>> ListPayoutsAsync(string orgId, PayoutFilter filter, PageRequest page, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            var items = After(partition.PayoutOrder, page.After)
                .Select(key => partition.Payouts[key.Id])
                .Where(filter.Matches)
                .Take(page.Limit + 1)
                .ToList();
            return Task.FromResult(Page.FromOverfetch(items, page.Limit, payout => new PageKey(payout.CreatedAt, payout.Id)));
        }
    }

    public Task<IReadOnlyList<PayoutTotal>> GetPayoutTotalsAsync(string orgId, PayoutFilter filter, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult<IReadOnlyList<PayoutTotal>>(partition.Totals.Get(filter));
        }
    }

    public Task<Payout?> GetLastPaidPayoutAsync(string orgId, string partnerId, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult(partition.Payouts.Values
                .Where(payout => payout.PartnerId == partnerId && payout.Status == PayoutStatus.Paid)
                .MaxBy(payout => payout.PaidAt));
        }
    }

    public Task<Page<PayoutEvent>> ListEventsAsync(string orgId, string? payoutId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            IEnumerable<PageKey> keys = payoutId is null
                ? After(partition.EventOrder, page.After)
                : partition.EventsByPayout.GetValueOrDefault(payoutId, [])
                    .Select(change => new PageKey(change.At, change.Id))
                    .Order(PageKey.NewestFirst)
                    .Where(key => page.After is null || PageKey.NewestFirst.Compare(key, page.After.Value) > 0);
            var items = keys.Take(page.Limit + 1).Select(key => partition.Events[key.Id]).ToList();
            return Task.FromResult(Page.FromOverfetch(items, page.Limit, change => new PageKey(change.At, change.Id)));
        }
    }

    public Task<IReadOnlyList<PayoutEvent>> GetPayoutEventsAsync(string orgId, string payoutId, long afterVersion = 0, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            IReadOnlyList<PayoutEvent> events = partition.EventsByPayout.GetValueOrDefault(payoutId, [])
                .Where(change => change.Sequence > afterVersion)
                .ToList();
            return Task.FromResult(events);
        }
    }

    public Task<Partner?> GetPartnerAsync(string orgId, string partnerId, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult(partition.Partners.GetValueOrDefault(partnerId));
        }
    }

    public Task<IReadOnlyList<Partner>> GetPartnersAsync(string orgId, IReadOnlyCollection<string> partnerIds, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            IReadOnlyList<Partner> partners = partnerIds
                .Distinct()
                .Select(id => partition.Partners.GetValueOrDefault(id))
                .OfType<Partner>()
                .ToList();
            return Task.FromResult(partners);
        }
    }

    public Task<Page<Partner>> ListPartnersAsync(string orgId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            var items = After(partition.PartnerOrder, page.After).Take(page.Limit + 1).Select(key => partition.Partners[key.Id]).ToList();
            return Task.FromResult(Page.FromOverfetch(items, page.Limit, partner => new PageKey(partner.CreatedAt, partner.Id)));
        }
    }

    public Task<bool> TryCreatePartnerAsync(Partner partner, CancellationToken cancellationToken = default)
    {
        var partition = For(partner.OrgId);
        lock (partition.Gate)
        {
            if (!partition.Partners.TryAdd(partner.Id, partner))
            {
                return Task.FromResult(false);
            }

            partition.PartnerOrder.Add(new PageKey(partner.CreatedAt, partner.Id));
            return Task.FromResult(true);
        }
    }

    public Task<bool> TryUpdatePartnerAsync(Partner partner, CancellationToken cancellationToken = default)
    {
        var partition = For(partner.OrgId);
        lock (partition.Gate)
        {
            if (partition.Partners.GetValueOrDefault(partner.Id)?.Version != partner.Version - 1)
            {
                return Task.FromResult(false);
            }

            partition.Partners[partner.Id] = partner;
            return Task.FromResult(true);
        }
    }

    public Task<OrganizationSettings?> GetOrganizationAsync(string orgId, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult(partition.Settings);
        }
    }

    public Task<bool> TrySaveOrganizationAsync(OrganizationSettings settings, CancellationToken cancellationToken = default)
    {
        var partition = For(settings.OrgId);
        lock (partition.Gate)
        {
            if ((partition.Settings?.Version ?? 0) != settings.Version - 1)
            {
                return Task.FromResult(false);
            }

            partition.Settings = settings;
            return Task.FromResult(true);
        }
    }

    public Task<IdempotencyRecord?> GetIdempotencyRecordAsync(string orgId, string key, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult(Unexpired(partition, key));
        }
    }

    public Task<bool> TryCreateIdempotencyRecordAsync(IdempotencyRecord record, CancellationToken cancellationToken = default)
    {
        var partition = For(record.OrgId);
        lock (partition.Gate)
        {
            if (Unexpired(partition, record.Key) is not null)
            {
                return Task.FromResult(false);
            }

            partition.Idempotency[record.Key] = record;
            return Task.FromResult(true);
        }
    }

    public Task CompleteIdempotencyRecordAsync(IdempotencyRecord record, CancellationToken cancellationToken = default)
    {
        var partition = For(record.OrgId);
        lock (partition.Gate)
        {
            partition.Idempotency[record.Key] = record;
            return Task.CompletedTask;
        }
    }

    public Task DeleteIdempotencyRecordAsync(string orgId, string key, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            partition.Idempotency.Remove(key);
            return Task.CompletedTask;
        }
    }

    public Task<bool> IsEventHandledAsync(string orgId, string consumer, string eventId, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult(partition.HandledEvents.Contains((consumer, eventId)));
        }
    }

    public Task MarkEventHandledAsync(string orgId, string consumer, string eventId, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            partition.HandledEvents.Add((consumer, eventId));
            return Task.CompletedTask;
        }
    }

    public Task<IReadOnlyList<Attribution>> GetAttributionsAsync(string orgId, IReadOnlyCollection<string> attributionIds, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            IReadOnlyList<Attribution> found = attributionIds.Distinct().Select(id => partition.Attributions.GetValueOrDefault(id)).OfType<Attribution>().ToList();
            return Task.FromResult(found);
        }
    }

    public Task<bool> TrySaveAttributionAsync(Attribution attribution, Attribution? current, CancellationToken cancellationToken = default)
    {
        var partition = For(attribution.OrgId);
        lock (partition.Gate)
        {
            var stored = partition.Attributions.GetValueOrDefault(attribution.Id);
            if ((stored?.Version ?? 0) != (current?.Version ?? 0) || (stored?.Version ?? 0) != attribution.Version - 1)
            {
                return Task.FromResult(false);
            }

            partition.Attributions[attribution.Id] = attribution;
            if (attribution.State is AttributionState.Open or AttributionState.ReversalPending)
            {
                partition.DueAttributions.Add(attribution.Id);
            }
            else
            {
                partition.DueAttributions.Remove(attribution.Id);
            }

            AddLine(partition, attribution.Id, stored?.Settlement, attribution.Settlement);
            AddLine(partition, attribution.Id, stored?.ReversalSettlement, attribution.ReversalSettlement);
            return Task.FromResult(true);
        }
    }

    public async IAsyncEnumerable<Attribution> GetDueAttributionsAsync(string orgId, DateTimeOffset periodEnd, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        string? after = null;
        while (true)
        {
            List<Attribution> page;
            lock (partition.Gate)
            {
                var due = partition.DueAttributions;
                IEnumerable<string> ids = after is null ? due
                    : due.Count == 0 || string.CompareOrdinal(after, due.Max) >= 0 ? []
                    : due.GetViewBetween(after, due.Max!).Where(id => string.CompareOrdinal(id, after) > 0);
                var keys = ids.Take(StreamPageSize).ToList();
                if (keys.Count == 0)
                {
                    yield break;
                }

                after = keys[^1];
                page = keys.Select(id => partition.Attributions[id]).Where(a => a.IsDueBy(periodEnd)).ToList();
            }

            foreach (var attribution in page)
            {
                yield return attribution;
            }

            await Task.Yield();
        }
    }

    public Task<(long Commission, int Lines)> GetSettledLinesAsync(string orgId, string payoutId, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult(partition.SettledLines.GetValueOrDefault(payoutId));
        }
    }

    public async IAsyncEnumerable<Attribution> GetSettledAttributionsAsync(string orgId, string payoutId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        List<Attribution> lines;
        lock (partition.Gate)
        {
            lines = partition.LinesByPayout.GetValueOrDefault(payoutId, []).Select(id => partition.Attributions[id]).ToList();
        }

        foreach (var line in lines)
        {
            yield return line;
        }

        await Task.CompletedTask;
    }

    public async IAsyncEnumerable<Payout> GetPaidPayoutsAsync(string orgId, DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        List<Payout> paid;
        lock (partition.Gate)
        {
            paid = partition.Payouts.Values.Where(p => p.Status == PayoutStatus.Paid && p.PaidAt >= from && p.PaidAt < to).ToList();
        }

        foreach (var payout in paid)
        {
            yield return payout;
        }

        await Task.CompletedTask;
    }

    public Task SaveStatementAsync(StatementEntry entry, CancellationToken cancellationToken = default)
    {
        var partition = For(entry.OrgId);
        lock (partition.Gate)
        {
            if (!partition.Statements.TryGetValue(entry.PartnerId, out var byPeriod))
            {
                partition.Statements[entry.PartnerId] = byPeriod = [];
            }

            byPeriod[entry.Period] = entry;
        }

        return Task.CompletedTask;
    }

    public Task<Page<StatementEntry>> ListStatementsAsync(string orgId, string partnerId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            var items = (partition.Statements.GetValueOrDefault(partnerId)?.Values ?? Enumerable.Empty<StatementEntry>())
                .Select(entry => (Entry: entry, Key: StatementKey(entry)))
                .Where(item => page.After is not { } after || PageKey.NewestFirst.Compare(item.Key, after) > 0)
                .OrderBy(item => item.Key, PageKey.NewestFirst)
                .Take(page.Limit + 1)
                .Select(item => item.Entry)
                .ToList();
            return Task.FromResult(Page.FromOverfetch(items, page.Limit, StatementKey));
        }
    }

    /// <summary>Statements page by period: the period's start, then the statement id.</summary>
    public static PageKey StatementKey(StatementEntry entry) => new(entry.Period.Start, entry.Id);

    public Task SaveReconciliationAsync(ReconciliationEntry entry, CancellationToken cancellationToken = default)
    {
        var partition = For(entry.OrgId);
        lock (partition.Gate)
        {
            partition.Reconciliations[new PageKey(entry.CreatedAt, entry.Id)] = entry;
        }

        return Task.CompletedTask;
    }

    public Task<Page<ReconciliationEntry>> ListReconciliationsAsync(string orgId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            var items = partition.Reconciliations
                .Where(item => page.After is not { } after || PageKey.NewestFirst.Compare(item.Key, after) > 0)
                .Take(page.Limit + 1)
                .Select(item => item.Value)
                .ToList();
            return Task.FromResult(Page.FromOverfetch(items, page.Limit, entry => new PageKey(entry.CreatedAt, entry.Id)));
        }
    }

    public Task<bool> TryAddTransferAsync(string orgId, ProviderTransfer transfer, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult(partition.Transfers.TryAdd(transfer.Id, transfer));
        }
    }

    public Task SaveTransferAsync(string orgId, ProviderTransfer transfer, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            partition.Transfers[transfer.Id] = transfer;
        }

        return Task.CompletedTask;
    }

    public Task<ProviderTransfer?> GetTransferAsync(string orgId, string transferId, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult(partition.Transfers.GetValueOrDefault(transferId));
        }
    }

    public async IAsyncEnumerable<ProviderTransfer> GetTransfersAsync(string orgId, DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        List<ProviderTransfer> transfers;
        lock (partition.Gate)
        {
            transfers = partition.Transfers.Values.Where(t => t.CreatedAt >= from && t.CreatedAt < to).ToList();
        }

        foreach (var transfer in transfers)
        {
            yield return transfer;
        }

        await Task.CompletedTask;
    }

    public Task<CommissionState?> GetCommissionStateAsync(string orgId, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult(partition.Commission);
        }
    }

    public Task<bool> TrySaveCommissionStateAsync(CommissionState state, CancellationToken cancellationToken = default)
    {
        var partition = For(state.OrgId);
        lock (partition.Gate)
        {
            if ((partition.Commission?.Version ?? 0) != state.Version - 1)
            {
                return Task.FromResult(false);
            }

            partition.Commission = state;
            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyList<WebhookEndpoint>> ListWebhookEndpointsAsync(string orgId, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            IReadOnlyList<WebhookEndpoint> endpoints = partition.WebhookEndpoints.Values.OrderBy(e => e.CreatedAt).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
            return Task.FromResult(endpoints);
        }
    }

    public Task<WebhookEndpoint?> GetWebhookEndpointAsync(string orgId, string endpointId, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult(partition.WebhookEndpoints.GetValueOrDefault(endpointId));
        }
    }

    public Task<bool> TrySaveWebhookEndpointAsync(WebhookEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        var partition = For(endpoint.OrgId);
        lock (partition.Gate)
        {
            if ((partition.WebhookEndpoints.GetValueOrDefault(endpoint.Id)?.Version ?? 0) != endpoint.Version - 1)
            {
                return Task.FromResult(false);
            }

            partition.WebhookEndpoints[endpoint.Id] = endpoint;
            return Task.FromResult(true);
        }
    }

    public Task<bool> DeleteWebhookEndpointAsync(string orgId, string endpointId, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult(partition.WebhookEndpoints.Remove(endpointId));
        }
    }

    public Task<WebhookDelivery?> GetWebhookDeliveryAsync(string orgId, string deliveryId, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            return Task.FromResult(partition.WebhookDeliveries.GetValueOrDefault(deliveryId));
        }
    }

    public Task<bool> TrySaveWebhookDeliveryAsync(WebhookDelivery delivery, CancellationToken cancellationToken = default)
    {
        var partition = For(delivery.OrgId);
        lock (partition.Gate)
        {
            var stored = partition.WebhookDeliveries.GetValueOrDefault(delivery.Id);
            if ((stored?.Version ?? 0) != delivery.Version - 1)
            {
                return Task.FromResult(false);
            }

            partition.WebhookDeliveries[delivery.Id] = delivery;
            if (stored is null)
            {
                if (!partition.DeliveriesByEndpoint.TryGetValue(delivery.EndpointId, out var order))
                {
                    partition.DeliveriesByEndpoint[delivery.EndpointId] = order = new SortedSet<PageKey>(PageKey.NewestFirst);
                }

                order.Add(new PageKey(delivery.CreatedAt, delivery.Id));
            }

            lock (_dueGate)
            {
                if (stored?.NextAttemptAt is { } before && stored.Status == WebhookDeliveryStatus.Pending)
                {
                    _due.Remove(new DueKey(before, delivery.OrgId, delivery.Id, delivery.EndpointId));
                }

                if (delivery.NextAttemptAt is { } next && delivery.Status == WebhookDeliveryStatus.Pending)
                {
                    _due.Add(new DueKey(next, delivery.OrgId, delivery.Id, delivery.EndpointId));
                }
            }

            return Task.FromResult(true);
        }
    }

    public Task<Page<WebhookDelivery>> ListWebhookDeliveriesAsync(string orgId, string endpointId, PageRequest page, CancellationToken cancellationToken = default)
    {
        var partition = For(orgId);
        lock (partition.Gate)
        {
            var order = partition.DeliveriesByEndpoint.GetValueOrDefault(endpointId) ?? [];
            var items = After(order, page.After).Take(page.Limit + 1).Select(key => partition.WebhookDeliveries[key.Id]).ToList();
            return Task.FromResult(Page.FromOverfetch(items, page.Limit, d => new PageKey(d.CreatedAt, d.Id)));
        }
    }

    public Task<IReadOnlyList<WebhookDelivery>> GetDueWebhookDeliveriesAsync(DateTimeOffset now, IReadOnlyCollection<string> exceptEndpoints, int max, CancellationToken cancellationToken = default)
    {
        List<DueKey> keys;
        lock (_dueGate)
        {
            keys = _due.TakeWhile(key => key.At <= now).Where(key => !exceptEndpoints.Contains(key.EndpointId)).Take(max).ToList();
        }

        IReadOnlyList<WebhookDelivery> due = keys
            .Select(key => GetWebhookDeliveryAsync(key.OrgId, key.Id, cancellationToken).Result)
            .OfType<WebhookDelivery>()
            .ToList();
        return Task.FromResult(due);
    }

    public Task RegisterOrganizationAsync(string orgId, CancellationToken cancellationToken = default)
    {
        For(orgId).Registered = true;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> GetOrganizationsAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> organizations = _partitions.Where(entry => entry.Value.Registered).Select(entry => entry.Key).Order(StringComparer.Ordinal).ToList();
        return Task.FromResult(organizations);
    }

    public Task<EventLogPage> ReadEventLogAsync(string? position, int max, CancellationToken cancellationToken = default)
    {
        var after = position is null ? 0 : int.Parse(position, NumberStyles.None, CultureInfo.InvariantCulture);
        lock (_logGate)
        {
            var events = _log.GetRange(after, Math.Min(max, _log.Count - after));
            return Task.FromResult(new EventLogPage(events, (after + events.Count).ToString(CultureInfo.InvariantCulture), after + events.Count < _log.Count));
        }
    }

    public Task<string?> GetEventLogPositionAsync(string reader, CancellationToken cancellationToken = default) =>
        Task.FromResult(_eventLogPositions.GetValueOrDefault(reader));

    public Task SaveEventLogPositionAsync(string reader, string position, CancellationToken cancellationToken = default)
    {
        _eventLogPositions[reader] = position;
        return Task.CompletedTask;
    }

    private Partition For(string orgId) => _partitions.GetOrAdd(orgId, _ => new Partition());

    private IdempotencyRecord? Unexpired(Partition partition, string key)
    {
        if (!partition.Idempotency.TryGetValue(key, out var record))
        {
            return null;
        }

        if (record.ExpiresAt > timeProvider.GetUtcNow())
        {
            return record;
        }

        partition.Idempotency.Remove(key);
        return null;
    }

    private static void AddLine(Partition partition, string attributionId, Settlement? before, Settlement? after)
    {
        if (after is not null && before is null)
        {
            var (commission, lines) = partition.SettledLines.GetValueOrDefault(after.PayoutId);
            partition.SettledLines[after.PayoutId] = (commission + after.Commission, lines + 1);
            if (!partition.LinesByPayout.TryGetValue(after.PayoutId, out var ids))
            {
                partition.LinesByPayout[after.PayoutId] = ids = [];
            }

            ids.Add(attributionId);
        }
    }

    private static IEnumerable<PageKey> After(SortedSet<PageKey> order, PageKey? after)
    {
        if (after is not { } start)
        {
            return order;
        }

        if (order.Count == 0 || PageKey.NewestFirst.Compare(start, order.Max) >= 0)
        {
            return [];
        }

        return order.GetViewBetween(start, order.Max).Where(key => PageKey.NewestFirst.Compare(key, start) > 0);
    }


    private sealed class Partition
    {
        public Lock Gate { get; } = new();
        public Dictionary<string, Payout> Payouts { get; } = new(StringComparer.Ordinal);
        public SortedSet<PageKey> PayoutOrder { get; } = new(PageKey.NewestFirst);
        public Dictionary<string, PayoutEvent> Events { get; } = new(StringComparer.Ordinal);
        public SortedSet<PageKey> EventOrder { get; } = new(PageKey.NewestFirst);
        public Dictionary<string, List<PayoutEvent>> EventsByPayout { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Partner> Partners { get; } = new(StringComparer.Ordinal);
        public SortedSet<PageKey> PartnerOrder { get; } = new(PageKey.NewestFirst);
        public Dictionary<string, IdempotencyRecord> Idempotency { get; } = new(StringComparer.Ordinal);
        public OrganizationSettings? Settings { get; set; }
        public HashSet<(string Consumer, string EventId)> HandledEvents { get; } = [];
        public bool Registered { get; set; }
        public Dictionary<string, Attribution> Attributions { get; } = new(StringComparer.Ordinal);
        public SortedSet<string> DueAttributions { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, (long Commission, int Lines)> SettledLines { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, List<string>> LinesByPayout { get; } = new(StringComparer.Ordinal);
        public CommissionState? Commission { get; set; }
        public Dictionary<string, Dictionary<Period, StatementEntry>> Statements { get; } = new(StringComparer.Ordinal);
        public SortedDictionary<PageKey, ReconciliationEntry> Reconciliations { get; } = new(PageKey.NewestFirst);
        public Dictionary<string, ProviderTransfer> Transfers { get; } = new(StringComparer.Ordinal);
        public RunningTotals Totals { get; } = new();
        public Dictionary<string, WebhookEndpoint> WebhookEndpoints { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, WebhookDelivery> WebhookDeliveries { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, SortedSet<PageKey>> DeliveriesByEndpoint { get; } = new(StringComparer.Ordinal);
    }

    private readonly record struct DueKey(DateTimeOffset At, string OrgId, string Id, string EndpointId) : IComparable<DueKey>
    {
        public int CompareTo(DueKey other)
        {
            var byTime = At.CompareTo(other.At);
            return byTime != 0 ? byTime : string.CompareOrdinal(Id, other.Id);
        }
    }

    /// <summary>
    /// Count and amount per currency and status, kept up to date on every save for each filter stats can ask for
    /// (all payouts, one partner's, one period's, one partner's in one period): a stats request costs O(currencies),
    /// not a scan of the organization.
    /// </summary>
    private sealed class RunningTotals
    {
        private readonly Dictionary<(string? PartnerId, Period? Period), Dictionary<(Currency Currency, PayoutStatus Status), (long Count, long Amount)>> _totals = [];

        public void Add(Payout payout) => Apply(payout, +1);

        public void Remove(Payout payout) => Apply(payout, -1);

        public List<PayoutTotal> Get(PayoutFilter filter) =>
            _totals.GetValueOrDefault((filter.PartnerId, filter.Period))?
                .Where(entry => filter.Statuses is null || filter.Statuses.Contains(entry.Key.Status))
                .Select(entry => new PayoutTotal(entry.Key.Currency, entry.Key.Status, entry.Value.Count, entry.Value.Amount))
                .ToList() ?? [];

        private void Apply(Payout payout, int sign)
        {
            foreach (var scope in new (string?, Period?)[] { (null, null), (payout.PartnerId, null), (null, payout.Period), (payout.PartnerId, payout.Period) })
            {
                if (!_totals.TryGetValue(scope, out var buckets))
                {
                    _totals[scope] = buckets = [];
                }

                var bucket = (payout.Amount.Currency, payout.Status);
                var (count, amount) = buckets.GetValueOrDefault(bucket);
                (count, amount) = (count + sign, amount + (sign * payout.Amount.MinorUnits));
                if (count == 0)
                {
                    buckets.Remove(bucket);
                }
                else
                {
                    buckets[bucket] = (count, amount);
                }
            }
        }
    }
}
