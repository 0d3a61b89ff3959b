using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using PartnerBase.Core.Storage;
using PartnerBase.Core.Webhooks;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Notifications;
using StandardWebhooks;

namespace PartnerBase.Functions.Webhooks;

/// <summary>
/// Delivers payout events to webhook endpoints (CONTRACT §11): makes one durable delivery per event and matching
/// endpoint, sends what is due with at most <see cref="WebhookOptions.MaxConcurrencyPerEndpoint"/> requests per
/// endpoint at a time (a slow receiver holds only its own slots), records every attempt and schedules the next.
/// A delivery is claimed before it is sent — its next attempt moved past the request's timeout, a compare-and-swap —
/// so two senders never send it at once and a crash mid-request leaves it due again once the claim lapses.
/// </summary>
public sealed partial class WebhookDispatcher(
    IPayoutStore store,
    IHttpClientFactory httpClients,
    WebhookSecrets secrets,
    IEmailSender email,
    TimeProvider timeProvider,
    Microsoft.Extensions.Options.IOptions<WebhookOptions> options,
    ILogger<WebhookDispatcher> logger)
{
    public const string HttpClientName = "webhooks";
    public const string TestEventType = PayoutCloudEvents.TypePrefix + "webhook.test";
    private const string DisabledEmailConsumer = "webhook-disabled-email";
    private const int DueBatch = 1_000;


    /// <summary>How long a claim lasts: longer than a request may take.</summary>
    public static TimeSpan ClaimFor { get; } = TimeSpan.FromMinutes(2);

    private readonly WebhookOptions _options = options.Value;

    // Completed (and replaced) when new deliveries are made, so that a sender waiting for work starts them at once.
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Makes the event's deliveries (once each, however often the event comes); returns how many are new.</summary>
    public async Task<int> AddDeliveriesAsync(DeliveredEvent payoutEvent, CancellationToken cancellationToken)
    {
        var type = payoutEvent.Type.StartsWith(PayoutCloudEvents.TypePrefix, StringComparison.Ordinal) ? payoutEvent.Type[PayoutCloudEvents.TypePrefix.Length..] : payoutEvent.Type;
        var now = timeProvider.GetUtcNow();
        var added = 0;
        foreach (var endpoint in await store.ListWebhookEndpointsAsync(payoutEvent.OrgId, cancellationToken))
        {
            if (endpoint.Status == WebhookEndpointStatus.Enabled && endpoint.Takes(type))
            {
                var delivery = new WebhookDelivery(
                    payoutEvent.OrgId, WebhookDelivery.IdFor(endpoint.Id, payoutEvent.Id), endpoint.Id, payoutEvent.Id, payoutEvent.Type,
                    payoutEvent.Body ?? throw new InvalidOperationException("A delivered event carries its body."),
                    WebhookDeliveryStatus.Pending, [], now, now, 1);
                added += await store.TrySaveWebhookDeliveryAsync(delivery, cancellationToken) ? 1 : 0;
            }
        }

        if (added > 0)
        {
            Interlocked.Exchange(ref _added, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        return added;
    }

    /// <summary>
    /// Sends every due attempt until none is due and <paramref name="moreMayCome"/> has completed (new deliveries
    /// being made meanwhile), or the budget is spent; requests under way then finish. Due deliveries are read in
    /// batches into a queue per endpoint, at most every <see cref="WebhookOptions.PollInterval"/> (or at once when
    /// new ones were made or nothing is left), and started as their endpoint's slots free up. Returns the attempts made.
    /// </summary>
    public async Task<int> SendDueAsync(TimeSpan budget, Task moreMayCome, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var queues = new Dictionary<string, Queue<WebhookDelivery>>(StringComparer.Ordinal);
        var running = new Dictionary<string, int>(StringComparer.Ordinal);
        var known = new HashSet<string>(StringComparer.Ordinal);   // queued or under way
        var tasks = new List<Task>();
        var attempts = 0;
        var inFlight = 0;
        var lastRead = TimeSpan.MinValue;
        Task readSince = Task.CompletedTask;
        while (clock.Elapsed < budget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var added = Volatile.Read(ref _added).Task;
            tasks.RemoveAll(task => task.IsCompleted);
            var found = -1;
            bool idle;
            lock (running)
            {
                idle = tasks.Count == 0 && queues.Values.All(q => q.Count == 0);
            }

            if (idle || readSince.IsCompleted || clock.Elapsed - lastRead >= _options.PollInterval)
            {
                (lastRead, readSince, found) = (clock.Elapsed, added, 0);
                List<string> full;
                lock (running)
                {
                    // An endpoint with more waiting than two rounds of its slots is left out, so that a read brings new ones.
                    full = queues.Where(entry => entry.Value.Count >= 2 * _options.MaxConcurrencyPerEndpoint).Select(entry => entry.Key).ToList();
                }

                var due = await store.GetDueWebhookDeliveriesAsync(timeProvider.GetUtcNow(), full, DueBatch, cancellationToken);
                lock (running)
                {
                    foreach (var delivery in due.Where(d => known.Add(d.Id)))
                    {
                        if (!queues.TryGetValue(delivery.EndpointId, out var queue))
                        {
                            queues[delivery.EndpointId] = queue = new Queue<WebhookDelivery>();
                        }

                        queue.Enqueue(delivery);
                        found++;
                    }
                }
            }

            lock (running)
            {
                foreach (var (endpointId, queue) in queues)
                {
                    while (queue.Count > 0 && running.GetValueOrDefault(endpointId) < _options.MaxConcurrencyPerEndpoint && inFlight < _options.MaxConcurrency)
                    {
                        var delivery = queue.Dequeue();
                        running[endpointId] = running.GetValueOrDefault(endpointId) + 1;
                        inFlight++;
                        attempts++;
                        tasks.Add(Task.Run(() => AttemptQuietlyAsync(delivery), cancellationToken));
                    }
                }
            }

            if (found == 0 && tasks.Count == 0 && moreMayCome.IsCompleted)
            {
                break;
            }

            // Wait for a free slot, new deliveries, the next read or more to come.
            var poll = Task.Delay(tasks.Count > 0 ? _options.PollInterval : _options.IdlePollInterval, timeProvider, cancellationToken);
            await Task.WhenAny(tasks.Append(added).Append(poll).Append(moreMayCome.IsCompleted ? poll : moreMayCome));
        }

        await Task.WhenAll(tasks);
        return attempts;

        async Task AttemptQuietlyAsync(WebhookDelivery delivery)
        {
            try
            {
                await AttemptAsync(delivery, manual: false, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogAttemptFailed(logger, exception, delivery.EndpointId, delivery.EventId);
            }
            finally
            {
                lock (running)
                {
                    running[delivery.EndpointId]--;
                    inFlight--;
                    known.Remove(delivery.Id);
                }
            }
        }
    }

    /// <summary>
    /// Claims the delivery as it is and sends it now (<paramref name="manual"/>: even when not due, even when it
    /// has succeeded or failed — a resend asked for); null when another sender holds it or it changed meanwhile.
    /// </summary>
    public async Task<WebhookDelivery?> AttemptAsync(WebhookDelivery delivery, bool manual, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (!manual && (delivery.Status != WebhookDeliveryStatus.Pending || delivery.NextAttemptAt > now))
        {
            return null;
        }

        var endpoint = await store.GetWebhookEndpointAsync(delivery.OrgId, delivery.EndpointId, cancellationToken);
        if (endpoint is null || (endpoint.Status == WebhookEndpointStatus.Disabled && !manual))
        {
            // Parked until its retry window ends, so that re-enabling the endpoint can still resume it; then failed.
            var windowEnd = delivery.CreatedAt + WebhookRetries.Window;
            var parked = endpoint is not null && now < windowEnd
                ? delivery with { NextAttemptAt = windowEnd, Version = delivery.Version + 1 }
                : delivery with { Status = WebhookDeliveryStatus.Failed, NextAttemptAt = null, Version = delivery.Version + 1 };
            return await store.TrySaveWebhookDeliveryAsync(parked, cancellationToken) ? parked : null;
        }

        var claimed = delivery with { Status = WebhookDeliveryStatus.Pending, NextAttemptAt = now + ClaimFor, Version = delivery.Version + 1 };
        if (!await store.TrySaveWebhookDeliveryAsync(claimed, cancellationToken))
        {
            return null;
        }

        var result = await SendAsync(endpoint, claimed, cancellationToken);
        var attempt = result.Attempt;
        var failed = attempt.StatusCode is not (>= 200 and < 300);
        var delay = failed && !result.Gone ? WebhookRetries.DelayAfter(claimed.Attempts.Count + 1, Random.Shared.NextDouble(), result.RetryAfter) : null;
        var done = claimed with
        {
            Attempts = [.. claimed.Attempts, attempt],
            Status = !failed ? WebhookDeliveryStatus.Succeeded : delay is null ? WebhookDeliveryStatus.Failed : WebhookDeliveryStatus.Pending,
            NextAttemptAt = delay is { } wait ? attempt.At + wait : null,
            Version = claimed.Version + 1,
        };
        if (!await store.TrySaveWebhookDeliveryAsync(done, cancellationToken))
        {
            // Only a resend asked for meanwhile claims a delivery that is ours; it records its own attempt.
            LogLostRecord(logger, delivery.EndpointId, delivery.EventId);
        }

        await NoteOutcomeAsync(endpoint, failed, result.Gone, attempt.At, cancellationToken);
        return done;
    }

    /// <summary>Sends a <c>webhook.test</c> event to the endpoint now, whatever its event types (CONTRACT §11).</summary>
    public async Task<WebhookDelivery> SendTestAsync(WebhookEndpoint endpoint, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var eventId = Core.Payouts.PayoutService.NewId("evt_test_");
        var body = TestEvent(endpoint, eventId, now);
        // Made claimed, so that the background sender leaves it to this request (and retries it should the process die now).
        var delivery = new WebhookDelivery(endpoint.OrgId, WebhookDelivery.IdFor(endpoint.Id, eventId), endpoint.Id, eventId, TestEventType, body, WebhookDeliveryStatus.Pending, [], now + ClaimFor, now, 1);
        await store.TrySaveWebhookDeliveryAsync(delivery, cancellationToken);
        return await AttemptAsync(delivery, manual: true, cancellationToken) ?? delivery;
    }

    private static string TestEvent(WebhookEndpoint endpoint, string eventId, DateTimeOffset now)
    {
        var cloudEvent = new CloudNative.CloudEvents.CloudEvent(CloudNative.CloudEvents.CloudEventsSpecVersion.V1_0, [PayoutCloudEvents.OrgId])
        {
            Id = eventId,
            Source = new Uri($"/organizations/{Uri.EscapeDataString(endpoint.OrgId)}/webhook-endpoints/{endpoint.Id}", UriKind.Relative),
            Type = TestEventType,
            Subject = endpoint.Id,
            Time = now,
            DataContentType = "application/json",
            Data = new { endpointId = endpoint.Id, message = "A test event sent from PartnerBase Payouts." },
        };
        cloudEvent[PayoutCloudEvents.OrgId] = endpoint.OrgId;
        return Encoding.UTF8.GetString(PayoutCloudEvents.Encode(cloudEvent).Span);
    }

    private sealed record SendResult(WebhookAttempt Attempt, TimeSpan? RetryAfter, bool Gone);

    private async Task<SendResult> SendAsync(WebhookEndpoint endpoint, WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        var at = timeProvider.GetUtcNow();
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
        {
            Content = new StringContent(delivery.Payload, Encoding.UTF8, new MediaTypeHeaderValue(PayoutCloudEvents.ContentType)),
        };
        request.Content.Headers.ContentType!.CharSet = null;
        request.Headers.Add("webhook-id", delivery.EventId);
        request.Headers.Add("webhook-timestamp", at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", Sign(endpoint, delivery, at));
        int? status = null;
        string? error = null;
        TimeSpan? retryAfter = null;
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            status = (int)response.StatusCode;
            if (status is 429 or 503)
            {
                retryAfter = response.Headers.RetryAfter switch
                {
                    { Delta: { } delta } => delta,
                    { Date: { } date } => date - timeProvider.GetUtcNow(),
                    _ => null,
                };
            }

            error = status is >= 300 and < 400 ? "Redirects are not followed." : null;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            error = exception is TaskCanceledException ? $"No answer in {_options.Timeout.TotalSeconds:0} s." : exception.Message;
        }

        var durationMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        LogAttempt(logger, endpoint.Id, delivery.EventId, status, durationMs, error);
        return new SendResult(new WebhookAttempt(at, status, error, durationMs), retryAfter, status == (int)HttpStatusCode.Gone);
    }

    /// <summary>The <c>webhook-signature</c> header: the secret's signature, and for 24 h after a rotation the previous one's too.</summary>
    private string Sign(WebhookEndpoint endpoint, WebhookDelivery delivery, DateTimeOffset at)
    {
        var signature = new StandardWebhook(secrets.KeyOf(endpoint.ProtectedSecret)).Sign(delivery.EventId, at, delivery.Payload);
        return endpoint is { PreviousProtectedSecret: { } previous, PreviousSecretExpiresAt: { } until } && at < until
            ? signature + " " + new StandardWebhook(secrets.KeyOf(previous)).Sign(delivery.EventId, at, delivery.Payload)
            : signature;
    }

    /// <summary>
    /// Keeps the endpoint's failure streak: a success ends it; a failure starts it, or — five days into it — disables
    /// the endpoint and emails the organization's admins (the <c>approverEmails</c> setting: there is no admin list
    /// yet); a 410 disables it at once.
    /// </summary>
    private async Task NoteOutcomeAsync(WebhookEndpoint endpoint, bool failed, bool gone, DateTimeOffset at, CancellationToken cancellationToken)
    {
        for (var current = endpoint; current is not null; current = await store.GetWebhookEndpointAsync(endpoint.OrgId, endpoint.Id, cancellationToken))
        {
            string? disable = gone ? "The receiver answered 410 Gone."
                : failed && current.FailingSince is { } since && at - since >= WebhookRetries.DisableAfter
                    ? $"Every attempt failed since {since:u}."
                    : null;
            WebhookEndpoint? next = (failed, current.FailingSince, disable) switch
            {
                (_, _, not null) when current.Status == WebhookEndpointStatus.Enabled =>
                    current with { Status = WebhookEndpointStatus.Disabled, DisabledReason = disable, UpdatedAt = at, Version = current.Version + 1 },
                (false, not null, _) => current with { FailingSince = null, Version = current.Version + 1 },
                (true, null, _) => current with { FailingSince = at, Version = current.Version + 1 },
                _ => null,
            };
            if (next is null)
            {
                return;
            }

            if (await store.TrySaveWebhookEndpointAsync(next, cancellationToken))
            {
                if (next.Status == WebhookEndpointStatus.Disabled)
                {
                    LogDisabled(logger, next.OrgId, next.Id, disable!);
                    await EmailDisabledAsync(next, cancellationToken);
                }

                return;
            }
        }
    }

    private async Task EmailDisabledAsync(WebhookEndpoint endpoint, CancellationToken cancellationToken)
    {
        var id = $"{endpoint.Id}:{endpoint.Version}";
        if (await store.IsEventHandledAsync(endpoint.OrgId, DisabledEmailConsumer, id, cancellationToken))
        {
            return;
        }

        var settings = await store.GetOrganizationAsync(endpoint.OrgId, cancellationToken);
        foreach (var recipient in settings?.ApproverEmails ?? [])
        {
            await email.SendAsync(
                new EmailMessage(recipient, "A webhook endpoint was disabled", $"The webhook endpoint {endpoint.Id} ({endpoint.Url}) was disabled: {endpoint.DisabledReason}\nEnable it again once the receiver works; deliveries still within their retry window resume."),
                cancellationToken);
        }

        await store.MarkEventHandledAsync(endpoint.OrgId, DisabledEmailConsumer, id, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {EndpointId}: event {EventId}: status {StatusCode} in {DurationMs} ms; error: {Error}")]
    private static partial void LogAttempt(ILogger logger, string endpointId, string eventId, int? statusCode, long durationMs, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {EndpointId}: the attempt of event {EventId} failed unexpectedly")]
    private static partial void LogAttemptFailed(ILogger logger, Exception exception, string endpointId, string eventId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {EndpointId}: event {EventId}'s attempt was not recorded: the delivery was resent meanwhile")]
    private static partial void LogLostRecord(ILogger logger, string endpointId, string eventId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{OrgId}: webhook endpoint {EndpointId} disabled: {Reason}")]
    private static partial void LogDisabled(ILogger logger, string orgId, string endpointId, string reason);
}
