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
/// Where an organization's payouts, their events, partners and settings live. Every call is scoped to one
/// organization (the partition). Implemented by <see cref="InMemoryPayoutStore"/> and the Cosmos DB store;
/// both are held to the same contract tests.
/// </summary>
public interface IPayoutStore
{
    Task<Payout?> GetPayoutAsync(string orgId, string payoutId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a change: its event, then the payout's new state (or its removal, for a delete). A compare-and-swap:
    /// it succeeds only if the stored payout is still <paramref name="current"/>, the state the change was decided
    /// from (null for a create); false means a concurrent change won and this one was not recorded.
    /// </summary>
    Task<bool> TrySaveChangeAsync(PayoutEvent change, Payout? current, CancellationToken cancellationToken = default);

    /// <summary>One page, newest first (created at, then id, descending).</summary>
    Task<Page<Payout>> ListPayoutsAsync(string orgId, PayoutFilter filter, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>Count and amount per currency and status of the matching payouts.</summary>
    Task<IReadOnlyList<PayoutTotal>> GetPayoutTotalsAsync(string orgId, PayoutFilter filter, CancellationToken cancellationToken = default);

    /// <summary>The partner's most recently paid payout.</summary>
    Task<Payout?> GetLastPaidPayoutAsync(string orgId, string partnerId, CancellationToken cancellationToken = default);

    /// <summary>Audit entries newest first (time, then id, descending); all of the organization's or one payout's.</summary>
    Task<Page<PayoutEvent>> ListEventsAsync(string orgId, string? payoutId, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>A payout's events, oldest first (with <paramref name="afterVersion"/>, only the newer ones).</summary>
    Task<IReadOnlyList<PayoutEvent>> GetPayoutEventsAsync(string orgId, string payoutId, long afterVersion = 0, CancellationToken cancellationToken = default);

    Task<Partner?> GetPartnerAsync(string orgId, string partnerId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Partner>> GetPartnersAsync(string orgId, IReadOnlyCollection<string> partnerIds, CancellationToken cancellationToken = default);

    Task<Page<Partner>> ListPartnersAsync(string orgId, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>False if a partner with that id exists.</summary>
    Task<bool> TryCreatePartnerAsync(Partner partner, CancellationToken cancellationToken = default);

    /// <summary>False if the stored partner is no longer at <c>partner.Version - 1</c>.</summary>
    Task<bool> TryUpdatePartnerAsync(Partner partner, CancellationToken cancellationToken = default);

    Task<OrganizationSettings?> GetOrganizationAsync(string orgId, CancellationToken cancellationToken = default);

    /// <summary>False if the stored settings are no longer at <c>settings.Version - 1</c> (absent for version 1).</summary>
    Task<bool> TrySaveOrganizationAsync(OrganizationSettings settings, CancellationToken cancellationToken = default);

    /// <summary>The record, unless it expired.</summary>
    Task<IdempotencyRecord?> GetIdempotencyRecordAsync(string orgId, string key, CancellationToken cancellationToken = default);

    /// <summary>False if an unexpired record with that key exists.</summary>
    Task<bool> TryCreateIdempotencyRecordAsync(IdempotencyRecord record, CancellationToken cancellationToken = default);

    /// <summary>Stores the completed record over the pending one.</summary>
    Task CompleteIdempotencyRecordAsync(IdempotencyRecord record, CancellationToken cancellationToken = default);

    Task DeleteIdempotencyRecordAsync(string orgId, string key, CancellationToken cancellationToken = default);

    /// <summary>Whether <paramref name="consumer"/> already handled the event (deliveries are at least once).</summary>
    Task<bool> IsEventHandledAsync(string orgId, string consumer, string eventId, CancellationToken cancellationToken = default);

    /// <summary>Records that <paramref name="consumer"/> handled the event; kept at least 14 days.</summary>
    Task MarkEventHandledAsync(string orgId, string consumer, string eventId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Attribution>> GetAttributionsAsync(string orgId, IReadOnlyCollection<string> attributionIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// A compare-and-swap against <paramref name="current"/>, the version this one was made from (null for a new one):
    /// succeeds only if that is still what is stored.
    /// </summary>
    Task<bool> TrySaveAttributionAsync(Attribution attribution, Attribution? current, CancellationToken cancellationToken = default);

    /// <summary>
    /// The lines of a run for a period ending at <paramref name="periodEnd"/>: open attributions closed before it and
    /// settled ones reversed since. Streamed in pages, in no particular order.
    /// </summary>
    IAsyncEnumerable<Attribution> GetDueAttributionsAsync(string orgId, DateTimeOffset periodEnd, CancellationToken cancellationToken = default);

    /// <summary>The sum of the commissions settled into a payout, and how many lines they are.</summary>
    Task<(long Commission, int Lines)> GetSettledLinesAsync(string orgId, string payoutId, CancellationToken cancellationToken = default);

    /// <summary>The attributions settled into a payout, or whose reversal was (its lines), in no particular order.</summary>
    IAsyncEnumerable<Attribution> GetSettledAttributionsAsync(string orgId, string payoutId, CancellationToken cancellationToken = default);

    Task<CommissionState?> GetCommissionStateAsync(string orgId, CancellationToken cancellationToken = default);

    /// <summary>A compare-and-swap on <see cref="CommissionState.Version"/> (absent, for version 1).</summary>
    Task<bool> TrySaveCommissionStateAsync(CommissionState state, CancellationToken cancellationToken = default);

    /// <summary>Payouts paid at a time in [<paramref name="from"/>, <paramref name="to"/>), streamed in no particular order.</summary>
    IAsyncEnumerable<Payout> GetPaidPayoutsAsync(string orgId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>Lists a partner's statement of a period; a later generation replaces the entry of an earlier one.</summary>
    Task SaveStatementAsync(StatementEntry entry, CancellationToken cancellationToken = default);

    /// <summary>A partner's statements, newest period first.</summary>
    Task<Page<StatementEntry>> ListStatementsAsync(string orgId, string partnerId, PageRequest page, CancellationToken cancellationToken = default);

    Task SaveReconciliationAsync(ReconciliationEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Reconciliation runs, newest first (created at, then id, descending).</summary>
    Task<Page<ReconciliationEntry>> ListReconciliationsAsync(string orgId, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>
    /// The simulated payment provider's ledger: records a transfer it made, unless one with that id is recorded
    /// (then returns false and changes nothing).
    /// </summary>
    Task<bool> TryAddTransferAsync(string orgId, ProviderTransfer transfer, CancellationToken cancellationToken = default);

    /// <summary>Records a transfer as it now is (a reversal, say), over any earlier record of it.</summary>
    Task SaveTransferAsync(string orgId, ProviderTransfer transfer, CancellationToken cancellationToken = default);

    Task<ProviderTransfer?> GetTransferAsync(string orgId, string transferId, CancellationToken cancellationToken = default);

    /// <summary>The ledger's transfers created in [<paramref name="from"/>, <paramref name="to"/>), streamed in no particular order.</summary>
    IAsyncEnumerable<ProviderTransfer> GetTransfersAsync(string orgId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>The organization's webhook endpoints, oldest first (an organization has a few: see the API's limit).</summary>
    Task<IReadOnlyList<WebhookEndpoint>> ListWebhookEndpointsAsync(string orgId, CancellationToken cancellationToken = default);

    Task<WebhookEndpoint?> GetWebhookEndpointAsync(string orgId, string endpointId, CancellationToken cancellationToken = default);

    /// <summary>A compare-and-swap on <see cref="WebhookEndpoint.Version"/>: false if the stored one is not at <c>Version - 1</c> (absent, for version 1).</summary>
    Task<bool> TrySaveWebhookEndpointAsync(WebhookEndpoint endpoint, CancellationToken cancellationToken = default);

    /// <summary>Removes the endpoint (its deliveries stay until they expire); false if there was none.</summary>
    Task<bool> DeleteWebhookEndpointAsync(string orgId, string endpointId, CancellationToken cancellationToken = default);

    Task<WebhookDelivery?> GetWebhookDeliveryAsync(string orgId, string deliveryId, CancellationToken cancellationToken = default);

    /// <summary>A compare-and-swap on <see cref="WebhookDelivery.Version"/>: false if the stored one is not at <c>Version - 1</c> (absent, for version 1).</summary>
    Task<bool> TrySaveWebhookDeliveryAsync(WebhookDelivery delivery, CancellationToken cancellationToken = default);

    /// <summary>An endpoint's deliveries, newest first (created at, then id, descending).</summary>
    Task<Page<WebhookDelivery>> ListWebhookDeliveriesAsync(string orgId, string endpointId, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pending deliveries of every organization whose next attempt is due at <paramref name="now"/>, earliest due
    /// first, at most <paramref name="max"/>, leaving out those of the endpoints in <paramref name="exceptEndpoints"/>.
    /// </summary>
    Task<IReadOnlyList<WebhookDelivery>> GetDueWebhookDeliveriesAsync(DateTimeOffset now, IReadOnlyCollection<string> exceptEndpoints, int max, CancellationToken cancellationToken = default);

    /// <summary>Adds the organization to the registry of organizations (idempotent).</summary>
    Task RegisterOrganizationAsync(string orgId, CancellationToken cancellationToken = default);

    /// <summary>Every registered organization, so that jobs over all of them need no scan of all documents.</summary>
    Task<IReadOnlyList<string>> GetOrganizationsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The outbox: payout events committed after <paramref name="position"/> (null: from the first), in commit order
    /// (within an organization, hence within a payout), about <paramref name="max"/> at most, and the position after
    /// them. O(events read), never a scan of all events.
    /// </summary>
    Task<EventLogPage> ReadEventLogAsync(string? position, int max, CancellationToken cancellationToken = default);

    /// <summary>A reader's durable position in the event log; null before its first save.</summary>
    Task<string?> GetEventLogPositionAsync(string reader, CancellationToken cancellationToken = default);

    Task SaveEventLogPositionAsync(string reader, string position, CancellationToken cancellationToken = default);
}

/// <summary>
/// Events read from the event log, the position to read on from (null: nothing read yet), and whether the read
/// stopped at its bound rather than at the end of the log (so that more may follow at once).
/// </summary>
public sealed record EventLogPage(IReadOnlyList<PayoutEvent> Events, string? Position, bool More);

public static class PayoutStoreExtensions
{
    /// <summary>Every matching payout, newest first, streamed page by page (for exports).</summary>
    public static async IAsyncEnumerable<Payout> GetPayoutsAsync(
        this IPayoutStore store,
        string orgId,
        PayoutFilter filter,
        int pageSize = 1_000,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new PageRequest(pageSize);
        while (true)
        {
            var page = await store.ListPayoutsAsync(orgId, filter, request, cancellationToken);
            foreach (var payout in page.Items)
            {
                yield return payout;
            }

            if (page.Next is null)
            {
                yield break;
            }

            request = request with { After = page.Next };
        }
    }
}

public sealed record PayoutFilter(IReadOnlySet<PayoutStatus>? Statuses = null, string? PartnerId = null, Period? Period = null)
{
    public static PayoutFilter All { get; } = new();

    public bool Matches(Payout payout) =>
        (Statuses is null || Statuses.Contains(payout.Status))
        && (PartnerId is null || payout.PartnerId == PartnerId)
        && (Period is null || payout.Period == Period);
}

/// <summary>Where a page starts: after the item with this sort key (time, id), in descending order.</summary>
public readonly record struct PageKey(DateTimeOffset At, string Id)
{
    /// <summary>Newest first: a later time, then a larger id, comes first.</summary>
    public static IComparer<PageKey> NewestFirst { get; } = Comparer<PageKey>.Create((x, y) =>
    {
        var byTime = y.At.CompareTo(x.At);
        return byTime != 0 ? byTime : string.CompareOrdinal(y.Id, x.Id);
    });
}

public sealed record PageRequest(int Limit, PageKey? After = null)
{
    public const int DefaultLimit = 25;
    public const int MaxLimit = 100;

    public int Limit { get; } = Limit >= 1 ? Limit : throw new ArgumentOutOfRangeException(nameof(Limit), Limit, "A page holds at least one item.");
}

public sealed record Page<T>(IReadOnlyList<T> Items, PageKey? Next);

public static class Page
{
    /// <summary>The page from a read of <paramref name="limit"/> + 1 items: the extra one only says there is more.</summary>
    public static Page<T> FromOverfetch<T>(List<T> items, int limit, Func<T, PageKey> keyOf)
    {
        if (items.Count <= limit)
        {
            return new Page<T>(items, null);
        }

        items.RemoveAt(limit);
        return new Page<T>(items, keyOf(items[^1]));
    }
}

public sealed record PayoutTotal(Currency Currency, PayoutStatus Status, long Count, long Amount);

/// <summary>
/// A request made with an Idempotency-Key: pending while it runs (until <see cref="LockedUntil"/>), then
/// holding the response to replay. Kept until <see cref="ExpiresAt"/>.
/// </summary>
public sealed record IdempotencyRecord(
    string OrgId,
    string Key,
    string RequestHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset LockedUntil,
    DateTimeOffset ExpiresAt,
    SavedResponse? Response);

public sealed record SavedResponse(int StatusCode, string? ContentType, string? Location, string? ETag, byte[] Body);
