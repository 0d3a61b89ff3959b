using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using PartnerBase.Core;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Security;
using PartnerBase.Core.Storage;
using PartnerBase.Core.Webhooks;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Security;

namespace PartnerBase.Functions.Webhooks;

/// <summary>The webhook operations of CONTRACT §11 (admin), and <c>DeliverWebhooks</c>.</summary>
public sealed class WebhookFunctions(
    IPayoutStore store,
    WebhookDispatcher dispatcher,
    WebhookSecrets secrets,
    SubscriptionConsumer consumer,
    IWebhookHostResolver resolver,
    IOptions<WebhookOptions> options,
    TimeProvider timeProvider)
{
    private const int MaxDescriptionLength = 500;

    // A run ends well before the next is due at the default schedule: a singleton timer skips an occurrence while it runs.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan DrainPause = TimeSpan.FromMilliseconds(250);

    /// <summary>The event types of CONTRACT §6 without the prefix, and "*" for all.</summary>
    public static IReadOnlyList<string> EventTypes { get; } =
        ["payout.created", "payout.updated", "payout.deleted", "payout.approved", "payout.rejected", "payout.processing", "payout.paid", "payout.failed"];

    [Function(nameof(DeliverWebhooks))]
    public async Task DeliverWebhooks([TimerTrigger("%WebhooksSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        // The subscription is drained into deliveries for as long as they are being sent, so that a slow receiver,
        // which keeps the run going, never holds up the other endpoints' new events until the next run.
        var firstPass = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var draining = DrainWhileSendingAsync(firstPass, sent.Task, cancellationToken);
        try
        {
            await dispatcher.SendDueAsync(Budget, firstPass.Task, cancellationToken);
        }
        finally
        {
            sent.TrySetResult();
            await draining;
        }
    }

    private async Task DrainWhileSendingAsync(TaskCompletionSource firstPass, Task sent, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            do
            {
                var drained = await consumer.DrainAsync(Subscriptions.Webhooks, Budget - clock.Elapsed, cancellationToken);
                firstPass.TrySetResult();
                if (drained == 0)
                {
                    await Task.WhenAny(sent, Task.Delay(DrainPause, timeProvider, cancellationToken));
                }
            }
            while (!sent.IsCompleted && clock.Elapsed < Budget);
        }
        finally
        {
            firstPass.TrySetResult();
        }
    }

    [Function(nameof(CreateWebhookEndpoint))]
    [RequirePermission(Permissions.Administer)]
    [Tags("Webhooks")]
    [EndpointSummary("Create a webhook endpoint; the answer holds its signing secret, shown only here and on rotation")]
    [Consumes(typeof(CreateWebhookEndpointRequest), "application/json")]
    [ProblemResponses(400, 409, 413, 415)]
    public async Task<Results<Created<WebhookEndpointSecretResponse>, ProblemHttpResult>> CreateWebhookEndpoint(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhook-endpoints")] HttpRequest httpRequest, CancellationToken cancellationToken)
    {
        var caller = httpRequest.Caller();
        var request = await httpRequest.ReadAsync<CreateWebhookEndpointRequest>(cancellationToken);
        var errors = new RequestErrors();
        var url = await UrlAsync(errors, request.Url, required: true, cancellationToken);
        var eventTypes = ValidEventTypes(errors, request.EventTypes, required: true);
        var description = errors.Text("description", request.Description, MaxDescriptionLength);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        if ((await store.ListWebhookEndpointsAsync(caller.OrgId, cancellationToken)).Count >= WebhookOptions.MaxEndpoints)
        {
            return Problems.From(Failure.Conflict($"An organization has at most {WebhookOptions.MaxEndpoints} webhook endpoints; delete one first."));
        }

        var (secret, protectedSecret) = secrets.Create();
        var now = timeProvider.GetUtcNow();
        var endpoint = new WebhookEndpoint(
            caller.OrgId, PayoutService.NewId("we_"), url!, eventTypes!, string.IsNullOrEmpty(description) ? null : description,
            WebhookEndpointStatus.Enabled, null, protectedSecret, null, null, null, now, now, 1);
        await store.TrySaveWebhookEndpointAsync(endpoint, cancellationToken);
        httpRequest.HttpContext.Response.Headers.ETag = ETags.For(endpoint.Version);
        return TypedResults.Created($"/api/webhook-endpoints/{endpoint.Id}", endpoint.ToResponse(secret));
    }

    [Function(nameof(ListWebhookEndpoints))]
    [RequirePermission(Permissions.Administer)]
    [Tags("Webhooks")]
    [EndpointSummary("List the organization's webhook endpoints, oldest first (all of them: at most 20)")]
    public async Task<Ok<PageResponse<WebhookEndpointResponse>>> ListWebhookEndpoints(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "webhook-endpoints")] HttpRequest request, CancellationToken cancellationToken)
    {
        var endpoints = await store.ListWebhookEndpointsAsync(request.Caller().OrgId, cancellationToken);
        return TypedResults.Ok(new PageResponse<WebhookEndpointResponse>(endpoints.Select(e => e.ToResponse()).ToList(), null));
    }

    [Function(nameof(GetWebhookEndpoint))]
    [RequirePermission(Permissions.Administer)]
    [Tags("Webhooks")]
    [EndpointSummary("Get a webhook endpoint (without its secret)")]
    [ProblemResponses(404)]
    public async Task<Results<Ok<WebhookEndpointResponse>, ProblemHttpResult>> GetWebhookEndpoint(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "webhook-endpoints/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (await store.GetWebhookEndpointAsync(request.Caller().OrgId, id, cancellationToken) is not { } endpoint)
        {
            return Problems.From(Failure.NotFound("Webhook endpoint", id));
        }

        request.HttpContext.Response.Headers.ETag = ETags.For(endpoint.Version);
        return TypedResults.Ok(endpoint.ToResponse());
    }

    [Function(nameof(UpdateWebhookEndpoint))]
    [RequirePermission(Permissions.Administer)]
    [Tags("Webhooks")]
    [EndpointSummary("Update a webhook endpoint (JSON merge patch); enabling it again resumes the deliveries still within their retry window")]
    [Consumes(typeof(UpdateWebhookEndpointRequest), "application/json", "application/merge-patch+json")]
    [ProblemResponses(400, 404, 409, 412, 413, 415)]
    public async Task<Results<Ok<WebhookEndpointResponse>, ProblemHttpResult>> UpdateWebhookEndpoint(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "webhook-endpoints/{id}")] HttpRequest httpRequest, string id, CancellationToken cancellationToken)
    {
        var caller = httpRequest.Caller();
        var request = await httpRequest.ReadAsync<UpdateWebhookEndpointRequest>(cancellationToken);
        var errors = new RequestErrors();
        var url = request.Url is null ? null : await UrlAsync(errors, request.Url, required: true, cancellationToken);
        var eventTypes = request.EventTypes is null ? null : ValidEventTypes(errors, request.EventTypes, required: true);
        var description = errors.Text("description", request.Description, MaxDescriptionLength);
        request.RejectNulls(errors);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var current = await store.GetWebhookEndpointAsync(caller.OrgId, id, cancellationToken);
        if (current is null)
        {
            return Problems.From(Failure.NotFound("Webhook endpoint", id));
        }

        if (ETags.IfMatch(httpRequest) is { } accepted && !accepted.Contains(current.Version))
        {
            return Problems.From(new Failure(FailureCode.PreconditionFailed, $"If-Match does not match the endpoint's current version {current.Version}."));
        }

        var now = timeProvider.GetUtcNow();
        var status = request.Status ?? current.Status;
        var enabled = current.Status == WebhookEndpointStatus.Disabled && status == WebhookEndpointStatus.Enabled;
        var updated = current with
        {
            Url = url ?? current.Url,
            EventTypes = eventTypes ?? current.EventTypes,
            Description = request.Description is null && !request.IsNull("description") ? current.Description : NullIfEmpty(description),
            Status = status,
            DisabledReason = status == WebhookEndpointStatus.Enabled ? null
                : current.Status == WebhookEndpointStatus.Disabled ? current.DisabledReason
                : $"Disabled by {caller.UserId}.",
            FailingSince = enabled ? null : current.FailingSince,
            UpdatedAt = now,
            Version = current.Version + 1,
        };
        if (!await store.TrySaveWebhookEndpointAsync(updated, cancellationToken))
        {
            return Problems.From(Failure.Conflict("The endpoint was changed concurrently; re-read it and retry."));
        }

        if (enabled)
        {
            await ResumeAsync(updated, now, cancellationToken);
        }

        httpRequest.HttpContext.Response.Headers.ETag = ETags.For(updated.Version);
        return TypedResults.Ok(updated.ToResponse());
    }

    [Function(nameof(DeleteWebhookEndpoint))]
    [RequirePermission(Permissions.Administer)]
    [Tags("Webhooks")]
    [EndpointSummary("Delete a webhook endpoint; nothing more is sent to it")]
    [ProblemResponses(404)]
    public async Task<Results<NoContent, ProblemHttpResult>> DeleteWebhookEndpoint(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "webhook-endpoints/{id}")] HttpRequest request, string id, CancellationToken cancellationToken) =>
        await store.DeleteWebhookEndpointAsync(request.Caller().OrgId, id, cancellationToken)
            ? TypedResults.NoContent()
            : Problems.From(Failure.NotFound("Webhook endpoint", id));

    [Function(nameof(RotateWebhookEndpointSecret))]
    [RequirePermission(Permissions.Administer)]
    [Tags("Webhooks")]
    [EndpointSummary("Give the endpoint a new signing secret (shown only in this answer); for 24 hours requests carry the old secret's signature too")]
    [ProblemResponses(404, 409)]
    public async Task<Results<Ok<WebhookEndpointSecretResponse>, ProblemHttpResult>> RotateWebhookEndpointSecret(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhook-endpoints/{id}/rotate-secret")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var current = await store.GetWebhookEndpointAsync(request.Caller().OrgId, id, cancellationToken);
        if (current is null)
        {
            return Problems.From(Failure.NotFound("Webhook endpoint", id));
        }

        var (secret, protectedSecret) = secrets.Create();
        var now = timeProvider.GetUtcNow();
        var rotated = current.Rotate(protectedSecret, now);
        if (!await store.TrySaveWebhookEndpointAsync(rotated, cancellationToken))
        {
            return Problems.From(Failure.Conflict("The endpoint was changed concurrently; retry."));
        }

        request.HttpContext.Response.Headers.ETag = ETags.For(rotated.Version);
        return TypedResults.Ok(rotated.ToResponse(secret));
    }

    [Function(nameof(TestWebhookEndpoint))]
    [RequirePermission(Permissions.Administer)]
    [Tags("Webhooks")]
    [EndpointSummary("Send a com.partnerbase.webhook.test event to this endpoint now, whatever its event types; the answer is its delivery")]
    [ProblemResponses(404)]
    public async Task<Results<Ok<WebhookDeliveryResponse>, ProblemHttpResult>> TestWebhookEndpoint(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhook-endpoints/{id}/test")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (await store.GetWebhookEndpointAsync(request.Caller().OrgId, id, cancellationToken) is not { } endpoint)
        {
            return Problems.From(Failure.NotFound("Webhook endpoint", id));
        }

        return TypedResults.Ok((await dispatcher.SendTestAsync(endpoint, cancellationToken)).ToResponse());
    }

    [Function(nameof(ListWebhookDeliveries))]
    [RequirePermission(Permissions.Administer)]
    [Tags("Webhooks")]
    [EndpointSummary("An endpoint's deliveries with their attempts, newest first")]
    [QueryParameter("limit", "Page size, 1 to 100 (default 25).")]
    [QueryParameter("cursor", "The nextCursor of the previous page.")]
    [ProblemResponses(400, 404)]
    public async Task<Results<Ok<PageResponse<WebhookDeliveryResponse>>, ProblemHttpResult>> ListWebhookDeliveries(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "webhook-endpoints/{id}/deliveries")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var errors = new RequestErrors();
        var page = errors.Page(request.Query["limit"], request.Query["cursor"]);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        if (await store.GetWebhookEndpointAsync(caller.OrgId, id, cancellationToken) is null)
        {
            return Problems.From(Failure.NotFound("Webhook endpoint", id));
        }

        return TypedResults.Ok((await store.ListWebhookDeliveriesAsync(caller.OrgId, id, page!, cancellationToken)).ToResponse());
    }

    [Function(nameof(RetryWebhookDelivery))]
    [RequirePermission(Permissions.Administer)]
    [Tags("Webhooks")]
    [EndpointSummary("Send a delivery again now (also one that succeeded or failed); the answer holds the new attempt")]
    [ProblemResponses(404, 409)]
    public async Task<Results<Ok<WebhookDeliveryResponse>, ProblemHttpResult>> RetryWebhookDelivery(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhook-endpoints/{id}/deliveries/{deliveryId}/retry")] HttpRequest request,
        string id,
        string deliveryId,
        CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var delivery = await store.GetWebhookDeliveryAsync(caller.OrgId, deliveryId, cancellationToken);
        if (delivery is null || delivery.EndpointId != id || await store.GetWebhookEndpointAsync(caller.OrgId, id, cancellationToken) is null)
        {
            return Problems.From(Failure.NotFound("Webhook delivery", deliveryId));
        }

        return await dispatcher.AttemptAsync(delivery, manual: true, cancellationToken) is { } sent
            ? TypedResults.Ok(sent.ToResponse())
            : Problems.From(Failure.Conflict("The delivery is being sent right now; look at its attempts in a moment."));
    }

    /// <summary>Deliveries made within the retry window that were parked while the endpoint was disabled: due now.</summary>
    private async Task ResumeAsync(WebhookEndpoint endpoint, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var request = new PageRequest(PageRequest.MaxLimit);
        while (true)
        {
            var page = await store.ListWebhookDeliveriesAsync(endpoint.OrgId, endpoint.Id, request, cancellationToken);
            foreach (var delivery in page.Items)
            {
                if (delivery.CreatedAt < now - WebhookRetries.Window)
                {
                    return;
                }

                if (delivery.Status == WebhookDeliveryStatus.Pending && delivery.NextAttemptAt > now)
                {
                    await store.TrySaveWebhookDeliveryAsync(delivery with { NextAttemptAt = now, Version = delivery.Version + 1 }, cancellationToken);
                }
            }

            if (page.Next is null)
            {
                return;
            }

            request = request with { After = page.Next };
        }
    }

    private async Task<string?> UrlAsync(RequestErrors errors, string? value, bool required, CancellationToken cancellationToken)
    {
        var text = errors.Text("url", value, WebhookOptions.MaxUrlLength);
        if (string.IsNullOrEmpty(text))
        {
            if (required)
            {
                errors.Add("url", "Required.");
            }

            return null;
        }

        var settings = options.Value;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || string.IsNullOrEmpty(uri.Host))
        {
            errors.Add("url", "Must be an absolute https URL.");
            return null;
        }

        if (uri.Scheme == "http" && !settings.AllowHttp)
        {
            errors.Add("url", "Must use https.");
        }
        else if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            errors.Add("url", "May not hold a user name or password; the signature authenticates requests.");
        }
        else if (!settings.AllowPrivateNetworks && !await WebhookAddresses.ResolvesPubliclyAsync(resolver, uri.IdnHost, cancellationToken))
        {
            errors.Add("url", "Must reach a public address: it resolves to a loopback, private or other non-public one.");
        }

        return text;
    }

    private static List<string>? ValidEventTypes(RequestErrors errors, IReadOnlyList<string>? types, bool required)
    {
        if (types is null || types.Count == 0)
        {
            if (required)
            {
                errors.Add("eventTypes", "Required: event types such as \"payout.approved\", or [\"*\"] for all.");
            }

            return null;
        }

        if (types.Contains(WebhookEndpoint.AllEvents))
        {
            if (types.Count > 1)
            {
                errors.Add("eventTypes", "\"*\" stands alone: it subscribes to every event type.");
            }

            return [WebhookEndpoint.AllEvents];
        }

        foreach (var unknown in types.Where(t => !EventTypes.Contains(t)).Distinct())
        {
            errors.Add("eventTypes", $"'{unknown}' is not an event type; the types are {string.Join(", ", EventTypes)} (or \"*\").");
        }

        return types.Distinct().ToList();
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
