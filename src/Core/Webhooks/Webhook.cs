using System.Security.Cryptography;
using System.Text;

namespace PartnerBase.Core.Webhooks;

public enum WebhookEndpointStatus
{
    Enabled,
    Disabled,
}

public enum WebhookDeliveryStatus
{
    Pending,
    Succeeded,
    Failed,
}

/// <summary>
/// An organization's receiver of payout events (CONTRACT §11). The signing secrets are held as the app protected them
/// (data protection): what the store holds cannot sign. After a rotation the previous secret signs too, until
/// <see cref="PreviousSecretExpiresAt"/>. <see cref="FailingSince"/> is when the current run of failed attempts
/// began (null after a success): five days of it disable the endpoint.
/// </summary>
public sealed record WebhookEndpoint(
    string OrgId,
    string Id,
    string Url,
    IReadOnlyList<string> EventTypes,
    string? Description,
    WebhookEndpointStatus Status,
    string? DisabledReason,
    string ProtectedSecret,
    string? PreviousProtectedSecret,
    DateTimeOffset? PreviousSecretExpiresAt,
    DateTimeOffset? FailingSince,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version)
{
    public const string AllEvents = "*";

    /// <summary>How long the previous secret still signs after a rotation.</summary>
    public static TimeSpan RotationOverlap { get; } = TimeSpan.FromHours(24);

    /// <summary>The endpoint with a new secret; the one it replaces keeps signing for <see cref="RotationOverlap"/>.</summary>
    public WebhookEndpoint Rotate(string protectedSecret, DateTimeOffset now) => this with
    {
        ProtectedSecret = protectedSecret,
        PreviousProtectedSecret = ProtectedSecret,
        PreviousSecretExpiresAt = now + RotationOverlap,
        UpdatedAt = now,
        Version = Version + 1,
    };

    /// <summary>Whether the endpoint subscribed to <paramref name="eventType"/> (§6's type without the prefix).</summary>
    public bool Takes(string eventType) => EventTypes.Contains(AllEvents) || EventTypes.Contains(eventType);
}

/// <summary>One try: when, the receiver's status code (none when it never answered), why it failed, how long it took.</summary>
public sealed record WebhookAttempt(DateTimeOffset At, int? StatusCode, string? Error, long DurationMs);

/// <summary>
/// One event for one endpoint: the request body (the CloudEvent as on the topic), every attempt so far and, while
/// pending, when the next is due. Kept in the store, so a pending attempt survives restarts.
/// </summary>
public sealed record WebhookDelivery(
    string OrgId,
    string Id,
    string EndpointId,
    string EventId,
    string EventType,
    string Payload,
    WebhookDeliveryStatus Status,
    IReadOnlyList<WebhookAttempt> Attempts,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset CreatedAt,
    long Version)
{
    /// <summary>One id per endpoint and event, so that a redelivered event finds the delivery it already made.</summary>
    public static string IdFor(string endpointId, string eventId) =>
        "whd_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{endpointId}\n{eventId}")))[..32];
}

/// <summary>
/// When a failed delivery is tried again (CONTRACT §11, Svix's schedule): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
/// after the attempts before, each within ±10 % so that receivers coming back are not hit by every sender at once.
/// </summary>
public static class WebhookRetries
{
    private static readonly TimeSpan[] Delays =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    private const double Jitter = 0.1;

    /// <summary>Attempts in all: the first and one per delay.</summary>
    public static int MaxAttempts { get; } = Delays.Length + 1;

    /// <summary>An endpoint whose every attempt failed for this long is disabled.</summary>
    public static TimeSpan DisableAfter { get; } = TimeSpan.FromDays(5);

    /// <summary>A longest <c>Retry-After</c> that is honoured as it is; a longer one waits this long.</summary>
    public static TimeSpan MaxRetryAfter { get; } = TimeSpan.FromHours(10);

    /// <summary>How long a delivery may still be retried after it was made: the whole schedule at its longest.</summary>
    public static TimeSpan Window { get; } = TimeSpan.FromTicks((long)(Delays.Sum(d => d.Ticks) * (1 + Jitter)));

    /// <summary>
    /// The wait after the <paramref name="attempts"/>th attempt failed (null: none left); <paramref name="random"/> in
    /// [0, 1) places it within the jitter; a receiver's <paramref name="retryAfter"/> replaces the schedule's wait.
    /// </summary>
    public static TimeSpan? DelayAfter(int attempts, double random, TimeSpan? retryAfter = null)
    {
        if (attempts < 1 || attempts >= MaxAttempts)
        {
            return null;
        }

        if (retryAfter is { } asked)
        {
            return asked < TimeSpan.Zero ? TimeSpan.Zero : asked > MaxRetryAfter ? MaxRetryAfter : asked;
        }

        return Delays[attempts - 1] * (1 - Jitter + (2 * Jitter * random));
    }
}
