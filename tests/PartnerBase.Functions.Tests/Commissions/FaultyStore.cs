using PartnerBase.Core.Commissions;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payments;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Reconciliation;
using PartnerBase.Core.Statements;
using PartnerBase.Core.Storage;
using PartnerBase.Core.Webhooks;

namespace PartnerBase.Functions.Tests.Commissions;

/// <summary>
/// A store that forwards everything to <paramref name="inner"/> and counts its writes, and at write number
/// <paramref name="failAt"/> (1-based; 0 = never) throws an <see cref="IOException"/>: before the write reaches the
/// inner store, or, with <paramref name="afterTheWriteLanded"/>, after it was applied but before the caller heard back,
/// as when a process dies mid-request. Reads are never faulted: a crash only matters where something was written.
/// </summary>
public sealed class FaultyStore(IPayoutStore inner, int failAt = 0, bool afterTheWriteLanded = false) : IPayoutStore
{
    private readonly Lock _gate = new();
    private readonly List<string> _writes = [];

    /// <summary>Whether the fault was injected.</summary>
    public bool Fired { get; private set; }

    /// <summary>Every write attempted so far, by method name, in order (the faulted one included).</summary>
    public IReadOnlyList<string> Writes
    {
        get
        {
            lock (_gate)
            {
                return _writes.ToList();
            }
        }
    }

    public Task<Payout?> GetPayoutAsync(string orgId, string payoutId, CancellationToken cancellationToken = default) =>
        inner.GetPayoutAsync(orgId, payoutId, cancellationToken);

    public Task<bool> TrySaveChangeAsync(PayoutEvent change, Payout? current, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(TrySaveChangeAsync), () => inner.TrySaveChangeAsync(change, current, cancellationToken));

    public Task<Page<Payout>> ListPayoutsAsync(string orgId, PayoutFilter filter, PageRequest page, CancellationToken cancellationToken = default) =>
        inner.ListPayoutsAsync(orgId, filter, page, cancellationToken);

    public Task<IReadOnlyList<PayoutTotal>> GetPayoutTotalsAsync(string orgId, PayoutFilter filter, CancellationToken cancellationToken = default) =>
        inner.GetPayoutTotalsAsync(orgId, filter, cancellationToken);

    public Task<Payout?> GetLastPaidPayoutAsync(string orgId, string partnerId, CancellationToken cancellationToken = default) =>
        inner.GetLastPaidPayoutAsync(orgId, partnerId, cancellationToken);

    public Task<Page<PayoutEvent>> ListEventsAsync(string orgId, string? payoutId, PageRequest page, CancellationToken cancellationToken = default) =>
        inner.ListEventsAsync(orgId, payoutId, page, cancellationToken);

    public Task<IReadOnlyList<PayoutEvent>> GetPayoutEventsAsync(string orgId, string payoutId, long afterVersion = 0, CancellationToken cancellationToken = default) =>
        inner.GetPayoutEventsAsync(orgId, payoutId, afterVersion, cancellationToken);

    public Task<Partner?> GetPartnerAsync(string orgId, string partnerId, CancellationToken cancellationToken = default) =>
        inner.GetPartnerAsync(orgId, partnerId, cancellationToken);

    public Task<IReadOnlyList<Partner>> GetPartnersAsync(string orgId, IReadOnlyCollection<string> partnerIds, CancellationToken cancellationToken = default) =>
        inner.GetPartnersAsync(orgId, partnerIds, cancellationToken);

    public Task<Page<Partner>> ListPartnersAsync(string orgId, PageRequest page, CancellationToken cancellationToken = default) =>
        inner.ListPartnersAsync(orgId, page, cancellationToken);

    public Task<bool> TryCreatePartnerAsync(Partner partner, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(TryCreatePartnerAsync), () => inner.TryCreatePartnerAsync(partner, cancellationToken));

    public Task<bool> TryUpdatePartnerAsync(Partner partner, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(TryUpdatePartnerAsync), () => inner.TryUpdatePartnerAsync(partner, cancellationToken));

    public Task<OrganizationSettings?> GetOrganizationAsync(string orgId, CancellationToken cancellationToken = default) =>
        inner.GetOrganizationAsync(orgId, cancellationToken);

    public Task<bool> TrySaveOrganizationAsync(OrganizationSettings settings, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(TrySaveOrganizationAsync), () => inner.TrySaveOrganizationAsync(settings, cancellationToken));

    public Task<IdempotencyRecord?> GetIdempotencyRecordAsync(string orgId, string key, CancellationToken cancellationToken = default) =>
        inner.GetIdempotencyRecordAsync(orgId, key, cancellationToken);

    public Task<bool> TryCreateIdempotencyRecordAsync(IdempotencyRecord record, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(TryCreateIdempotencyRecordAsync), () => inner.TryCreateIdempotencyRecordAsync(record, cancellationToken));

    public Task CompleteIdempotencyRecordAsync(IdempotencyRecord record, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(CompleteIdempotencyRecordAsync), () => inner.CompleteIdempotencyRecordAsync(record, cancellationToken));

    public Task DeleteIdempotencyRecordAsync(string orgId, string key, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(DeleteIdempotencyRecordAsync), () => inner.DeleteIdempotencyRecordAsync(orgId, key, cancellationToken));

    public Task<bool> IsEventHandledAsync(string orgId, string consumer, string eventId, CancellationToken cancellationToken = default) =>
        inner.IsEventHandledAsync(orgId, consumer, eventId, cancellationToken);

    public Task MarkEventHandledAsync(string orgId, string consumer, string eventId, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(MarkEventHandledAsync), () => inner.MarkEventHandledAsync(orgId, consumer, eventId, cancellationToken));

    public Task<IReadOnlyList<Attribution>> GetAttributionsAsync(string orgId, IReadOnlyCollection<string> attributionIds, CancellationToken cancellationToken = default) =>
        inner.GetAttributionsAsync(orgId, attributionIds, cancellationToken);

    public Task<bool> TrySaveAttributionAsync(Attribution attribution, Attribution? current, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(TrySaveAttributionAsync), () => inner.TrySaveAttributionAsync(attribution, current, cancellationToken));

    public IAsyncEnumerable<Attribution> GetDueAttributionsAsync(string orgId, DateTimeOffset periodEnd, CancellationToken cancellationToken = default) =>
        inner.GetDueAttributionsAsync(orgId, periodEnd, cancellationToken);

    public Task<(long Commission, int Lines)> GetSettledLinesAsync(string orgId, string payoutId, CancellationToken cancellationToken = default) =>
        inner.GetSettledLinesAsync(orgId, payoutId, cancellationToken);

    public IAsyncEnumerable<Attribution> GetSettledAttributionsAsync(string orgId, string payoutId, CancellationToken cancellationToken = default) =>
        inner.GetSettledAttributionsAsync(orgId, payoutId, cancellationToken);

    public IAsyncEnumerable<Payout> GetPaidPayoutsAsync(string orgId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        inner.GetPaidPayoutsAsync(orgId, from, to, cancellationToken);

    public Task<Page<StatementEntry>> ListStatementsAsync(string orgId, string partnerId, PageRequest page, CancellationToken cancellationToken = default) =>
        inner.ListStatementsAsync(orgId, partnerId, page, cancellationToken);

    public Task<Page<ReconciliationEntry>> ListReconciliationsAsync(string orgId, PageRequest page, CancellationToken cancellationToken = default) =>
        inner.ListReconciliationsAsync(orgId, page, cancellationToken);

    public Task<ProviderTransfer?> GetTransferAsync(string orgId, string transferId, CancellationToken cancellationToken = default) =>
        inner.GetTransferAsync(orgId, transferId, cancellationToken);

    public IAsyncEnumerable<ProviderTransfer> GetTransfersAsync(string orgId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        inner.GetTransfersAsync(orgId, from, to, cancellationToken);

    public Task<IReadOnlyList<WebhookEndpoint>> ListWebhookEndpointsAsync(string orgId, CancellationToken cancellationToken = default) =>
        inner.ListWebhookEndpointsAsync(orgId, cancellationToken);

    public Task<WebhookEndpoint?> GetWebhookEndpointAsync(string orgId, string endpointId, CancellationToken cancellationToken = default) =>
        inner.GetWebhookEndpointAsync(orgId, endpointId, cancellationToken);

    public Task<bool> TrySaveWebhookEndpointAsync(WebhookEndpoint endpoint, CancellationToken cancellationToken = default) =>
        inner.TrySaveWebhookEndpointAsync(endpoint, cancellationToken);

    public Task<bool> DeleteWebhookEndpointAsync(string orgId, string endpointId, CancellationToken cancellationToken = default) =>
        inner.DeleteWebhookEndpointAsync(orgId, endpointId, cancellationToken);

    public Task<WebhookDelivery?> GetWebhookDeliveryAsync(string orgId, string deliveryId, CancellationToken cancellationToken = default) =>
        inner.GetWebhookDeliveryAsync(orgId, deliveryId, cancellationToken);

    public Task<bool> TrySaveWebhookDeliveryAsync(WebhookDelivery delivery, CancellationToken cancellationToken = default) =>
        inner.TrySaveWebhookDeliveryAsync(delivery, cancellationToken);

    public Task<Page<WebhookDelivery>> ListWebhookDeliveriesAsync(string orgId, string endpointId, PageRequest page, CancellationToken cancellationToken = default) =>
        inner.ListWebhookDeliveriesAsync(orgId, endpointId, page, cancellationToken);

    public Task<IReadOnlyList<WebhookDelivery>> GetDueWebhookDeliveriesAsync(DateTimeOffset now, IReadOnlyCollection<string> exceptEndpoints, int max, CancellationToken cancellationToken = default) =>
        inner.GetDueWebhookDeliveriesAsync(now, exceptEndpoints, max, cancellationToken);

    public Task SaveStatementAsync(StatementEntry entry, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(SaveStatementAsync), () => inner.SaveStatementAsync(entry, cancellationToken));

    public Task SaveReconciliationAsync(ReconciliationEntry entry, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(SaveReconciliationAsync), () => inner.SaveReconciliationAsync(entry, cancellationToken));

    public Task<bool> TryAddTransferAsync(string orgId, ProviderTransfer transfer, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(TryAddTransferAsync), () => inner.TryAddTransferAsync(orgId, transfer, cancellationToken));

    public Task SaveTransferAsync(string orgId, ProviderTransfer transfer, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(SaveTransferAsync), () => inner.SaveTransferAsync(orgId, transfer, cancellationToken));

    public Task<CommissionState?> GetCommissionStateAsync(string orgId, CancellationToken cancellationToken = default) =>
        inner.GetCommissionStateAsync(orgId, cancellationToken);

    public Task<bool> TrySaveCommissionStateAsync(CommissionState state, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(TrySaveCommissionStateAsync), () => inner.TrySaveCommissionStateAsync(state, cancellationToken));

    public Task RegisterOrganizationAsync(string orgId, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(RegisterOrganizationAsync), () => inner.RegisterOrganizationAsync(orgId, cancellationToken));

    public Task<IReadOnlyList<string>> GetOrganizationsAsync(CancellationToken cancellationToken = default) =>
        inner.GetOrganizationsAsync(cancellationToken);

    public Task<EventLogPage> ReadEventLogAsync(string? position, int max, CancellationToken cancellationToken = default) =>
        inner.ReadEventLogAsync(position, max, cancellationToken);

    public Task<string?> GetEventLogPositionAsync(string reader, CancellationToken cancellationToken = default) =>
        inner.GetEventLogPositionAsync(reader, cancellationToken);

    public Task SaveEventLogPositionAsync(string reader, string position, CancellationToken cancellationToken = default) =>
        WriteAsync(nameof(SaveEventLogPositionAsync), () => inner.SaveEventLogPositionAsync(reader, position, cancellationToken));

    private async Task WriteAsync(string name, Func<Task> write) =>
        await WriteAsync(name, async () =>
        {
            await write();
            return true;
        });

    private async Task<T> WriteAsync<T>(string name, Func<Task<T>> write)
    {
        int number;
        lock (_gate)
        {
            _writes.Add(name);
            number = _writes.Count;
        }

        if (number == failAt && !afterTheWriteLanded)
        {
            throw Fault(number, name, "before it was sent");
        }

        var result = await write();
        if (number == failAt)
        {
            throw Fault(number, name, "after it landed");
        }

        return result;
    }

    private IOException Fault(int number, string name, string when)
    {
        Fired = true;
        return new IOException($"Injected fault at write {number} ({name}), {when}.");
    }
}
