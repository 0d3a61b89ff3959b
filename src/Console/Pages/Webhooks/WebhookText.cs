using System.Globalization;
using PartnerBase.Console.Api;
using WebhookDeliveryStatus = PartnerBase.Core.Webhooks.WebhookDeliveryStatus;
using WebhookEndpointStatus = PartnerBase.Core.Webhooks.WebhookEndpointStatus;

namespace PartnerBase.Console.Pages.Webhooks;

/// <summary>Webhook endpoints and deliveries as an admin reads them (CONTRACT §11), and the event types one may choose.</summary>
public static class WebhookText
{
    public const string AllEvents = "*";

    private const string TypePrefix = "com.partnerbase.";

    /// <summary>The event types of CONTRACT §6 without the prefix, as an endpoint subscribes to them.</summary>
    public static IReadOnlyList<string> EventTypes => Types;

    private static readonly string[] Types =
        ["payout.created", "payout.updated", "payout.deleted", "payout.approved", "payout.rejected", "payout.processing", "payout.paid", "payout.failed"];

    /// <summary>An endpoint's subscription: "All events", or its types in the order of <see cref="EventTypes"/>.</summary>
    public static string Subscription(IReadOnlyList<string> eventTypes) =>
        eventTypes.Contains(AllEvents)
            ? "All events"
            : string.Join(", ", eventTypes.OrderBy(type => Array.IndexOf(Types, type) is var i and >= 0 ? i : int.MaxValue).ThenBy(type => type, StringComparer.Ordinal));

    /// <summary>A delivery's event type as endpoints subscribe to it: <c>payout.approved</c>, <c>webhook.test</c>.</summary>
    public static string EventType(string type) =>
        type.StartsWith(TypePrefix, StringComparison.Ordinal) ? type[TypePrefix.Length..] : type;

    public static string Status(WebhookEndpointStatus status) => status switch
    {
        WebhookEndpointStatus.Enabled => "Enabled",
        WebhookEndpointStatus.Disabled => "Disabled",
        _ => status.ToString(),
    };

    public static string Status(WebhookDeliveryStatus status) => status switch
    {
        WebhookDeliveryStatus.Pending => "Pending",
        WebhookDeliveryStatus.Succeeded => "Succeeded",
        WebhookDeliveryStatus.Failed => "Failed",
        _ => status.ToString(),
    };

    /// <summary>
    /// One attempt in a line: when (to the second: retries may be seconds apart), what came back — the receiver's
    /// status code, with the reason it still failed (a redirect), or only the reason when it never answered — and how
    /// long it took: <c>12/7/2026 3:04:05 PM · HTTP 200 · 35 ms</c>.
    /// </summary>
    public static string Attempt(WebhookAttempt attempt, CultureInfo culture)
    {
        var outcome = (attempt.StatusCode, attempt.Error) switch
        {
            ({ } code, null or "") => $"HTTP {code.ToString(CultureInfo.InvariantCulture)}",
            ({ } code, { } error) => $"HTTP {code.ToString(CultureInfo.InvariantCulture)}: {error}",
            (null, { Length: > 0 } error) => error,
            _ => "No answer",
        };
        return $"{Moment(attempt.At, culture)} · {outcome} · {Duration(attempt.DurationMs, culture)}";
    }

    public static string Duration(long milliseconds, CultureInfo culture) => $"{milliseconds.ToString("N0", culture)} ms";

    /// <summary>When the next attempt is due, or a dash when none is (the delivery succeeded or gave up).</summary>
    public static string NextAttempt(WebhookDelivery delivery, CultureInfo culture) =>
        delivery.Status == WebhookDeliveryStatus.Pending && delivery.NextAttemptAt is { } next ? Moment(next, culture) : "—";

    /// <summary>What became of a test event or a retry, from the delivery the API answered with.</summary>
    public static string Outcome(string what, WebhookDelivery delivery, CultureInfo culture)
    {
        if (delivery.Attempts.Count == 0)
        {
            return $"{what} is being sent; its attempt will show below.";
        }

        var last = delivery.Attempts[^1];
        var answer = last.StatusCode is { } code ? $"HTTP {code.ToString(CultureInfo.InvariantCulture)}" : last.Error ?? "no answer";
        var took = Duration(last.DurationMs, culture);
        return delivery.Status switch
        {
            WebhookDeliveryStatus.Succeeded => $"{what} succeeded: {answer} in {took}.",
            WebhookDeliveryStatus.Pending when delivery.NextAttemptAt is { } next => $"{what} failed ({answer} in {took}); it will be tried again at {Moment(next, culture)}.",
            _ => $"{what} failed ({answer} in {took}).",
        };
    }

    /// <summary>
    /// The form's choice as the API takes it: <c>["*"]</c> for all events, else the chosen types (at least one) in
    /// the order of <see cref="EventTypes"/>.
    /// </summary>
    public static bool TryReadEventTypes(bool all, IReadOnlySet<string> chosen, out IReadOnlyList<string> eventTypes, out string? error)
    {
        if (all)
        {
            eventTypes = [AllEvents];
            error = null;
            return true;
        }

        eventTypes = [.. EventTypes.Where(chosen.Contains)];
        error = eventTypes.Count == 0 ? "Choose at least one event type, or All events." : null;
        return error is null;
    }

    private static string Moment(DateTime at, CultureInfo culture) =>
        DateTime.SpecifyKind(at, DateTimeKind.Utc).ToLocalTime().ToString("G", culture);
}
