using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using PartnerBase.Core.Webhooks;
using PartnerBase.Functions.Http;

namespace PartnerBase.Functions.Webhooks;

public sealed record CreateWebhookEndpointRequest(
    [property: Required] string? Url,
    [property: Required] IReadOnlyList<string>? EventTypes,
    string? Description);

/// <summary>A partial update (JSON merge patch); <c>description</c> may be cleared with null.</summary>
public sealed class UpdateWebhookEndpointRequest : PatchRequest
{
    [DisallowNull]
    public string? Url { get; set => field = Set(value); }

    [DisallowNull]
    public IReadOnlyList<string>? EventTypes { get; set => field = Set(value); }

    public string? Description { get; set => field = Set(value); }

    [DisallowNull]
    public WebhookEndpointStatus? Status { get; set => field = Set(value); }
}

public sealed record WebhookEndpointResponse(
    string Id,
    string Url,
    IReadOnlyList<string> EventTypes,
    string? Description,
    WebhookEndpointStatus Status,
    string? DisabledReason,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    long Version);

/// <summary>An endpoint with its signing secret: the answer of creation and rotation, the only ones that show it.</summary>
public sealed record WebhookEndpointSecretResponse(
    string Id,
    string Url,
    IReadOnlyList<string> EventTypes,
    string? Description,
    WebhookEndpointStatus Status,
    string? DisabledReason,
    string Secret,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    long Version);

public sealed record WebhookAttemptResponse(DateTime At, int? StatusCode, string? Error, long DurationMs);

public sealed record WebhookDeliveryResponse(
    string Id,
    string EventId,
    string EventType,
    WebhookDeliveryStatus Status,
    IReadOnlyList<WebhookAttemptResponse> Attempts,
    DateTime? NextAttemptAt,
    DateTime CreatedAt);

public static class WebhookModels
{
    public static WebhookEndpointResponse ToResponse(this WebhookEndpoint e) =>
        new(e.Id, e.Url, e.EventTypes, e.Description, e.Status, e.DisabledReason, e.CreatedAt.UtcDateTime, e.UpdatedAt.UtcDateTime, e.Version);

    public static WebhookEndpointSecretResponse ToResponse(this WebhookEndpoint e, string secret) =>
        new(e.Id, e.Url, e.EventTypes, e.Description, e.Status, e.DisabledReason, secret, e.CreatedAt.UtcDateTime, e.UpdatedAt.UtcDateTime, e.Version);

    public static WebhookDeliveryResponse ToResponse(this WebhookDelivery d) => new(
        d.Id,
        d.EventId,
        d.EventType,
        d.Status,
        d.Attempts.Select(a => new WebhookAttemptResponse(a.At.UtcDateTime, a.StatusCode, a.Error, a.DurationMs)).ToList(),
        d.Status == WebhookDeliveryStatus.Pending ? d.NextAttemptAt?.UtcDateTime : null,
        d.CreatedAt.UtcDateTime);

    public static PageResponse<WebhookDeliveryResponse> ToResponse(this Core.Storage.Page<WebhookDelivery> page) =>
        new(page.Items.Select(ToResponse).ToList(), Cursor.Encode(page.Next));
}
