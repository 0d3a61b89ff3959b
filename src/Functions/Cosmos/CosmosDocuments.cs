using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PartnerBase.Core;
using PartnerBase.Core.Commissions;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payments;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Reconciliation;
using PartnerBase.Core.Webhooks;
using PartnerBase.Core.Statements;
using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Cosmos;

/// <summary>
/// The documents of the <c>payouts</c> container, all partitioned by <c>/orgId</c>. Ids carry the document type,
/// so a partner called "po_1" can never collide with payout po_1. Fields that queries filter or sort on are
/// copied to the top level; the domain object is kept whole beside them.
/// </summary>
internal static class Documents
{
    public const string PayoutType = "payout";
    public const string PayoutEventType = "payoutEvent";
    public const string PartnerType = "partner";
    public const string OrganizationType = "organization";
    public const string IdempotencyType = "idempotency";
    public const string HandledEventType = "handledEvent";
    public const string RegistrationType = "organizationRegistration";
    public const string AttributionType = "attribution";
    public const string CommissionStateType = "commissionState";
    public const string CommissionStateId = "commission-state";
    public const string EventLogPositionType = "eventLogPosition";
    public const string StatementType = "statement";
    public const string ReconciliationType = "reconciliation";
    public const string TransferType = "transfer";
    public const string WebhookEndpointType = "webhookEndpoint";
    public const string WebhookDeliveryType = "webhookDelivery";

    /// <summary>The partition of the organization registry; '$' is reserved, token org ids never start with it.</summary>
    public const string RegistryPartition = "$organizations";

    public static JsonSerializerOptions Json { get; } = CreateJson();

    public static string PayoutId(string payoutId) => "payout:" + payoutId;

    public static string EventId(string eventId) => "event:" + eventId;

    public static string PartnerId(string partnerId) => "partner:" + partnerId;

    public static string AttributionId(string attributionId) => "attribution:" + attributionId;

    public const string OrganizationId = "organization";

    /// <summary>One entry per partner and period: a later generation replaces it.</summary>
    public static string StatementId(string partnerId, Period period) => $"statement:{Hash(partnerId)}:{period}";

    public static string ReconciliationId(string id) => "reconciliation:" + id;

    public static string TransferId(string transferId) => "transfer:" + Hash(transferId);

    public static string WebhookEndpointId(string endpointId) => "webhookEndpoint:" + endpointId;

    public static string WebhookDeliveryId(string deliveryId) => "webhookDelivery:" + deliveryId;

    // Client keys may hold any character; Cosmos ids may not hold / \ ? #.
    public static string IdempotencyId(string key) => "idempotency:" + Hash(key);

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    public static string HandledEventId(string consumer, string eventId) => $"handled:{consumer}:{Hash(eventId)}";

    public static string RegistrationId(string orgId) => "organization:" + Hash(orgId);

    /// <summary>Whether an id taken from a request can name a document at all (Cosmos ids exclude / \ ? # and stop at 255).</summary>
    public static bool IsValidId(string id) => id.Length is > 0 and <= 255 && id.IndexOfAny(['/', '\\', '?', '#']) < 0;

    /// <summary>Newest-first sort key: fixed-width UTC ticks, then the id, so one string orders by both.</summary>
    public static string SortKey(DateTimeOffset at, string id) => string.Create(CultureInfo.InvariantCulture, $"{at.UtcTicks:D19}|{id}");

    public static string SortKey(PageKey key) => SortKey(key.At, key.Id);

    /// <summary>
    /// A time as fixed-width UTC ticks in a string: Cosmos DB keeps JSON numbers as doubles, which cannot hold
    /// today's tick counts exactly (they exceed 2^53), but strings of equal width compare exactly.
    /// </summary>
    public static string TicksKey(DateTimeOffset at) => at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ApiServices.ConfigureJson(options);
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        return options;
    }
}

internal sealed record PayoutDocument(
    string Id,
    string OrgId,
    string Type,
    string SortKey,
    string PayoutId,
    long Sequence,
    string PartnerId,
    string Status,
    string Period,
    string Currency,
    long Amount,
    string? PaidKey,
    Payout Payout)
{
    [JsonPropertyName("_etag")]
    public string? ETag { get; init; }

    public static PayoutDocument From(Payout payout) => new(
        Documents.PayoutId(payout.Id),
        payout.OrgId,
        Documents.PayoutType,
        Documents.SortKey(payout.CreatedAt, payout.Id),
        payout.Id,
        payout.Version,
        payout.PartnerId,
        PayoutTransitions.StatusName(payout.Status),
        payout.Period.ToString(),
        payout.Amount.Currency.Code,
        payout.Amount.MinorUnits,
        payout.PaidAt is { } paidAt ? Documents.TicksKey(paidAt) : null,
        payout);
}

/// <summary>An immutable payout event: the audit record and the outbox entry the change feed publishes.</summary>
internal sealed record PayoutEventDocument(string Id, string OrgId, string Type, string SortKey, string PayoutId, long Sequence, PayoutEvent Event)
{
    public static PayoutEventDocument From(PayoutEvent change) => new(
        Documents.EventId(change.Id),
        change.OrgId,
        Documents.PayoutEventType,
        Documents.SortKey(change.At, change.Id),
        change.PayoutId,
        change.Sequence,
        change);
}

internal sealed record PartnerDocument(string Id, string OrgId, string Type, string SortKey, Partner Partner)
{
    [JsonPropertyName("_etag")]
    public string? ETag { get; init; }

    public static PartnerDocument From(Partner partner) => new(
        Documents.PartnerId(partner.Id), partner.OrgId, Documents.PartnerType, Documents.SortKey(partner.CreatedAt, partner.Id), partner);
}

internal sealed record OrganizationDocument(string Id, string OrgId, string Type, OrganizationSettings Settings)
{
    [JsonPropertyName("_etag")]
    public string? ETag { get; init; }

    public static OrganizationDocument From(OrganizationSettings settings) =>
        new(Documents.OrganizationId, settings.OrgId, Documents.OrganizationType, settings);
}

/// <summary>Expires by Cosmos TTL (<c>ttl</c>, seconds); reads also check <see cref="IdempotencyRecord.ExpiresAt"/>.</summary>
internal sealed record IdempotencyDocument(string Id, string OrgId, string Type, int Ttl, IdempotencyRecord Record)
{
    [JsonPropertyName("_etag")]
    public string? ETag { get; init; }

    public static IdempotencyDocument From(IdempotencyRecord record, DateTimeOffset now) => new(
        Documents.IdempotencyId(record.Key),
        record.OrgId,
        Documents.IdempotencyType,
        (int)Math.Max(1, Math.Ceiling((record.ExpiresAt - now).TotalSeconds)),
        record);
}

/// <summary>A consumer handled an event; expires after 14 days, well past Service Bus redelivery.</summary>
internal sealed record HandledEventDocument(string Id, string OrgId, string Type, int Ttl, string Consumer, string EventId);

internal sealed record RegistrationDocument(string Id, string OrgId, string Type, string Organization);

/// <summary>An attribution, with what runs filter on (its state, close time) and sum up (its settlements) at the top level.</summary>
internal sealed record AttributionDocument(
    string Id,
    string OrgId,
    string Type,
    string State,
    string ClosedKey,
    string? SettlementPayoutId,
    long? SettlementCommission,
    string? ReversalPayoutId,
    long? ReversalCommission,
    Attribution Attribution)
{
    [JsonPropertyName("_etag")]
    public string? ETag { get; init; }

    public static AttributionDocument From(Attribution attribution) => new(
        Documents.AttributionId(attribution.Id),
        attribution.OrgId,
        Documents.AttributionType,
        JsonNamingPolicy.SnakeCaseLower.ConvertName(attribution.State.ToString()),
        Documents.TicksKey(attribution.ClosedAt),
        attribution.Settlement?.PayoutId,
        attribution.Settlement?.Commission,
        attribution.ReversalSettlement?.PayoutId,
        attribution.ReversalSettlement?.Commission,
        attribution);
}

internal sealed record CommissionStateDocument(string Id, string OrgId, string Type, CommissionState State)
{
    [JsonPropertyName("_etag")]
    public string? ETag { get; init; }
}

internal sealed record StatementDocument(string Id, string OrgId, string Type, string PartnerId, string SortKey, StatementEntry Statement)
{
    public static StatementDocument From(StatementEntry entry) => new(
        Documents.StatementId(entry.PartnerId, entry.Period),
        entry.OrgId,
        Documents.StatementType,
        entry.PartnerId,
        Documents.SortKey(InMemoryPayoutStore.StatementKey(entry)),
        entry);
}

internal sealed record ReconciliationDocument(string Id, string OrgId, string Type, string SortKey, ReconciliationEntry Reconciliation)
{
    public static ReconciliationDocument From(ReconciliationEntry entry) => new(
        Documents.ReconciliationId(entry.Id), entry.OrgId, Documents.ReconciliationType, Documents.SortKey(entry.CreatedAt, entry.Id), entry);
}

/// <summary>A transfer in the simulated payment provider's ledger.</summary>
internal sealed record TransferDocument(string Id, string OrgId, string Type, string CreatedKey, ProviderTransfer Transfer)
{
    public static TransferDocument From(string orgId, ProviderTransfer transfer) =>
        new(Documents.TransferId(transfer.Id), orgId, Documents.TransferType, Documents.TicksKey(transfer.CreatedAt), transfer);
}

/// <summary>An event log reader's checkpoint, in the <c>leases</c> container (partition key <c>/id</c>): id = the reader.</summary>
internal sealed record EventLogPositionDocument(string Id, string Type, string Position);

/// <summary>The body of a query or change feed page from the stream API.</summary>
internal sealed record QueryPage<T>(List<T> Documents);

internal sealed record WebhookEndpointDocument(string Id, string OrgId, string Type, WebhookEndpoint Endpoint)
{
    public static WebhookEndpointDocument From(WebhookEndpoint endpoint) =>
        new(Documents.WebhookEndpointId(endpoint.Id), endpoint.OrgId, Documents.WebhookEndpointType, endpoint);
}

/// <summary>
/// A delivery, with the fields its queries read: <c>endpointId</c> and <c>sortKey</c> for an endpoint's log,
/// <c>dueKey</c> (only while pending) for the sender's query across organizations. Expires 30 days after its last write.
/// </summary>
internal sealed record WebhookDeliveryDocument(string Id, string OrgId, string Type, string EndpointId, string SortKey, string? DueKey, int Ttl, WebhookDelivery Delivery)
{
    private const int RetentionSeconds = 30 * 24 * 3600;

    public static WebhookDeliveryDocument From(WebhookDelivery delivery) => new(
        Documents.WebhookDeliveryId(delivery.Id),
        delivery.OrgId,
        Documents.WebhookDeliveryType,
        delivery.EndpointId,
        Documents.SortKey(delivery.CreatedAt, delivery.Id),
        delivery is { Status: WebhookDeliveryStatus.Pending, NextAttemptAt: { } next } ? Documents.TicksKey(next) : null,
        RetentionSeconds,
        delivery);
}
