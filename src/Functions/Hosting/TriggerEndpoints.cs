using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using PartnerBase.Core;
using PartnerBase.Core.Commissions;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Cosmos;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Http;

namespace PartnerBase.Functions.Hosting;

/// <summary>
/// The endpoints the Functions host calls for the non-HTTP functions of CONTRACT §7. Mapped only under the host,
/// reachable only from loopback (the host runs beside the handler). Success is 200 with an invocation result; any
/// failure is non-2xx, so the host retries the Cosmos batch or abandons the Service Bus message for redelivery.
/// </summary>
public static class TriggerEndpoints
{
    public static IEndpointRouteBuilder MapFunctionsTriggers(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("").ExcludeFromDescription().AllowAnonymous().WithMetadata(HostOnly.Instance);
        group.MapPost("/PublishEvents", PublishEventsAsync);
        group.MapPost("/CommissionRun", CommissionRunAsync);
        group.MapPost("/ProcessPayment", (JsonElement body, EventDelivery delivery, CancellationToken cancellationToken) =>
            DeliverAsync(body, "payments", delivery, cancellationToken));
        group.MapPost("/SendNotifications", (JsonElement body, EventDelivery delivery, CancellationToken cancellationToken) =>
            DeliverAsync(body, "notifications", delivery, cancellationToken));
        return routes;
    }

    /// <summary>The Cosmos DB trigger: the changed documents of a batch; payout events among them are published.</summary>
    private static async Task<Results<Ok<InvocationResult>, ProblemHttpResult>> PublishEventsAsync(
        JsonElement body, IPayoutEventPublisher publisher, CancellationToken cancellationToken)
    {
        if (HostInvocation.Data(body, "documents") is not { ValueKind: JsonValueKind.Array } documents)
        {
            return Problems.Validation("Data.documents", "Expected the changed documents as an array.");
        }

        var events = new List<PayoutEvent>();
        foreach (var document in documents.EnumerateArray().Select(HostInvocation.Unwrap))
        {
            if (document.ValueKind == JsonValueKind.Object
                && document.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == Documents.PayoutEventType)
            {
                events.Add(document.Deserialize<PayoutEventDocument>(Documents.Json)!.Event);
            }
        }

        await publisher.PublishAsync(events, cancellationToken);
        return TypedResults.Ok(InvocationResult.Done($"Published {events.Count} payout events of {documents.GetArrayLength()} changed documents."));
    }

    /// <summary>
    /// The monthly timer: the previous month's run for every registered organization. One organization's failure
    /// does not stop the others, but fails the invocation so that the host retries; runs that already happened
    /// settle nothing twice.
    /// </summary>
    private static async Task<Ok<InvocationResult>> CommissionRunAsync(
        JsonElement body, IPayoutStore store, CommissionService commissions, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var lastMonth = timeProvider.GetUtcNow().AddMonths(-1);
        var period = Period.Month(lastMonth.Year, lastMonth.Month);
        var logs = new List<string>();
        var failed = new List<string>();
        if (HostInvocation.Data(body, "timer") is { } timer && timer.ValueKind == JsonValueKind.Object
            && timer.TryGetProperty("IsPastDue", out var pastDue) && pastDue.ValueKind == JsonValueKind.True)
        {
            logs.Add("The timer is past due; running now.");
        }

        foreach (var orgId in await store.GetOrganizationsAsync(cancellationToken))
        {
            try
            {
                var run = await commissions.RunAsync(orgId, period, dryRun: false, cancellationToken);
                logs.Add(run.Succeeded
                    ? $"{orgId}: {period}: {run.Value.Payouts.Count} payouts, {run.Value.CarriedForward.Count} carried forward."
                    : $"{orgId}: {period}: {run.Failure!.Detail}");
                if (!run.Succeeded)
                {
                    failed.Add(orgId);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logs.Add($"{orgId}: {period}: failed: {exception.Message}");
                failed.Add(orgId);
            }
        }

        return failed.Count == 0
            ? TypedResults.Ok(InvocationResult.Done([.. logs]))
            : throw new InvalidOperationException($"The {period} commission run failed for {string.Join(", ", failed)}: {string.Join(" ", logs)}");
    }

    /// <summary>A Service Bus trigger: one message, a structured CloudEvent, for one subscription's consumer.</summary>
    private static async Task<Results<Ok<InvocationResult>, ProblemHttpResult>> DeliverAsync(
        JsonElement body, string subscription, EventDelivery delivery, CancellationToken cancellationToken)
    {
        DeliveredEvent payoutEvent;
        try
        {
            var message = HostInvocation.Data(body, "message") ?? throw new ArgumentException("No Data.message.");
            var bytes = message.ValueKind == JsonValueKind.String ? Encoding.UTF8.GetBytes(message.GetString()!) : Encoding.UTF8.GetBytes(message.GetRawText());
            payoutEvent = PayoutCloudEvents.Decode(bytes);
        }
        catch (Exception exception) when (exception is ArgumentException or JsonException or FormatException)
        {
            // Redelivering a message that is not a payout event cannot help: it goes to the dead-letter queue.
            return Problems.Validation("Data.message", "Expected a payout event as a structured CloudEvent: " + exception.Message);
        }

        var outcome = await delivery.DeliverAsync(subscription, payoutEvent, cancellationToken);
        var deliveryCount = HostInvocation.Metadata(body, "DeliveryCount") ?? "?";
        return TypedResults.Ok(InvocationResult.Done($"{subscription}: {payoutEvent.Type} {payoutEvent.Id} (delivery {deliveryCount}): {outcome}."));
    }

    /// <summary>Refuses trigger endpoints to anyone but the host beside us, before the request is read.</summary>
    public static IApplicationBuilder UseFunctionsHostOnly(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            // In-process test servers have no remote address; every real connection has one.
            var remote = context.Connection.RemoteIpAddress;
            if (context.GetEndpoint()?.Metadata.GetMetadata<HostOnly>() is null || remote is null || IPAddress.IsLoopback(remote))
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        });

    private sealed class HostOnly
    {
        public static HostOnly Instance { get; } = new();
    }
}
