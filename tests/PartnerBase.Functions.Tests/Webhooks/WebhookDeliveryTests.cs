using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Time.Testing;
using PartnerBase.Core;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Core.Webhooks;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Notifications;
using PartnerBase.Functions.Webhooks;

namespace PartnerBase.Functions.Tests.Webhooks;

/// <summary>
/// Delivery (CONTRACT §11) through the app's <see cref="WebhookDispatcher"/> and its real HTTP client to receivers
/// on 127.0.0.1, held against every store; the clock is a <see cref="FakeTimeProvider"/> starting at the real now
/// (so that the library's timestamp tolerance applies to first attempts).
/// </summary>
public abstract class WebhookDeliveryTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly RecordingEmailSender _emails = new();
    private readonly List<ServiceProvider> _providers = [];
    private readonly List<WebhookReceiver> _receivers = [];
    private readonly string _orgId = "org_" + Guid.NewGuid().ToString("N")[..12];
    private IPayoutStore _store = null!;
    private WebhookDispatcher _dispatcher = null!;

    // One key ring for the test: secrets stay readable by the dispatcher that replaces a crashed one.
    private readonly IDataProtectionProvider _keys = new EphemeralDataProtectionProvider();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    protected abstract Task<IPayoutStore> CreateStoreAsync(TimeProvider time);

    public async ValueTask InitializeAsync()
    {
        _store = await CreateStoreAsync(_time);
        _dispatcher = NewDispatcher();
        await _store.TrySaveOrganizationAsync(OrganizationSettings.Default(_orgId) with { ApproverEmails = ["ops@example.com"], Version = 1 }, Cancellation);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var receiver in _receivers)
        {
            await receiver.DisposeAsync();
        }

        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Delivery_IsTheTopicsCloudEvent_SignedAsTheSpecificationSays()
    {
        var receiver = await ReceiverAsync();
        var (endpoint, secret) = await EndpointAsync(receiver, "payout.approved");
        var approved = Event("payout.approved");

        await _dispatcher.AddDeliveriesAsync(approved, Cancellation);
        await _dispatcher.AddDeliveriesAsync(Event("payout.created"), Cancellation);
        Assert.Equal(1, await SendDueAsync());

        var request = Assert.Single(receiver.Received);
        Assert.Equal(approved.Id, request.Id);
        Assert.Equal(approved.Body, request.Body);
        Assert.Equal("application/cloudevents+json", request.ContentType);
        Assert.StartsWith("PartnerBase-Webhooks/", request.UserAgent, StringComparison.Ordinal);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), request.Timestamp);
        Assert.True(request.VerifiedByLibrary(secret));
        Assert.True(request.SignedWith(secret));
        Assert.False(request.SignedWith(new WebhookSecrets(_keys).Create().Secret));
        var delivery = Assert.Single((await _store.ListWebhookDeliveriesAsync(_orgId, endpoint.Id, new PageRequest(10), Cancellation)).Items);
        Assert.Equal(WebhookDeliveryStatus.Succeeded, delivery.Status);
        Assert.Equal(200, Assert.Single(delivery.Attempts).StatusCode);
    }

    [Fact]
    public async Task SameEventTwice_OneDelivery()
    {
        var receiver = await ReceiverAsync();
        await EndpointAsync(receiver, "*");
        var created = Event("payout.created");

        Assert.Equal(1, await _dispatcher.AddDeliveriesAsync(created, Cancellation));
        Assert.Equal(0, await _dispatcher.AddDeliveriesAsync(created, Cancellation));
        await SendDueAsync();

        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task Rotation_BothSecretsSignFor24Hours_ThenOnlyTheNew()
    {
        var receiver = await ReceiverAsync();
        var (endpoint, oldSecret) = await EndpointAsync(receiver, "*");
        var (newSecret, protectedSecret) = new WebhookSecrets(_keys).Create();
        Assert.True(await _store.TrySaveWebhookEndpointAsync(endpoint.Rotate(protectedSecret, _time.GetUtcNow()), Cancellation));

        await _dispatcher.AddDeliveriesAsync(Event("payout.created"), Cancellation);
        await SendDueAsync();
        _time.Advance(TimeSpan.FromHours(23.9));
        await _dispatcher.AddDeliveriesAsync(Event("payout.updated"), Cancellation);
        await SendDueAsync();
        _time.Advance(TimeSpan.FromHours(0.2));
        await _dispatcher.AddDeliveriesAsync(Event("payout.approved"), Cancellation);
        await SendDueAsync();

        var (justRotated, dayLater, after) = (receiver.Received.ElementAt(0), receiver.Received.ElementAt(1), receiver.Received.ElementAt(2));
        Assert.Equal(2, justRotated.Signature.Split(' ').Length);
        Assert.True(justRotated.SignedWith(newSecret));
        Assert.True(justRotated.SignedWith(oldSecret));
        Assert.True(justRotated.VerifiedByLibrary(newSecret));
        Assert.True(justRotated.VerifiedByLibrary(oldSecret));
        Assert.True(dayLater.SignedWith(newSecret) && dayLater.SignedWith(oldSecret));
        Assert.Single(after.Signature.Split(' '));
        Assert.True(after.SignedWith(newSecret));
        Assert.False(after.SignedWith(oldSecret));
    }

    [Fact]
    public async Task FailingThreeTimes_FourthAttemptOnSchedule_WithTheSameId()
    {
        var receiver = await ReceiverAsync();
        receiver.Respond = (n, _) => Task.FromResult(n < 3 ? 500 : 200);
        var (endpoint, secret) = await EndpointAsync(receiver, "*");
        var created = Event("payout.created");
        await _dispatcher.AddDeliveriesAsync(created, Cancellation);

        Assert.Equal(1, await SendDueAsync());
        Assert.Equal(0, await AdvanceAndSendAsync(TimeSpan.FromSeconds(4.4)));   // 5 s − 10 %: not yet
        Assert.Equal(1, await AdvanceAndSendAsync(TimeSpan.FromSeconds(1.2)));   // 5 s + 10 %: second
        Assert.Equal(0, await AdvanceAndSendAsync(TimeSpan.FromMinutes(4.4)));
        Assert.Equal(1, await AdvanceAndSendAsync(TimeSpan.FromMinutes(1.2)));   // 5 min: third
        Assert.Equal(0, await AdvanceAndSendAsync(TimeSpan.FromMinutes(26.9)));
        Assert.Equal(1, await AdvanceAndSendAsync(TimeSpan.FromMinutes(6.2)));   // 30 min: fourth, answered 200

        Assert.Equal(4, receiver.Received.Count);
        Assert.All(receiver.Received, r => Assert.Equal(created.Id, r.Id));
        Assert.All(receiver.Received, r => Assert.True(r.SignedWith(secret)));
        var delivery = Assert.Single((await _store.ListWebhookDeliveriesAsync(_orgId, endpoint.Id, new PageRequest(10), Cancellation)).Items);
        Assert.Equal(WebhookDeliveryStatus.Succeeded, delivery.Status);
        Assert.Equal([500, 500, 500, 200], delivery.Attempts.Select(a => a.StatusCode ?? 0));
        Assert.Null((await _store.GetWebhookEndpointAsync(_orgId, endpoint.Id, Cancellation))!.FailingSince);
    }

    [Fact]
    public async Task RetryAfter_OnA429_IsWaitedFor()
    {
        var receiver = await ReceiverAsync();
        receiver.Respond = (n, response) =>
        {
            response.Headers.RetryAfter = "120";
            return Task.FromResult(n == 0 ? 429 : 200);
        };
        await EndpointAsync(receiver, "*");
        await _dispatcher.AddDeliveriesAsync(Event("payout.created"), Cancellation);

        await SendDueAsync();
        Assert.Equal(0, await AdvanceAndSendAsync(TimeSpan.FromSeconds(119)));  // the schedule alone would have retried after 5 s
        Assert.Equal(1, await AdvanceAndSendAsync(TimeSpan.FromSeconds(1)));

        Assert.Equal(2, receiver.Received.Count);
    }

    [Fact]
    public async Task Gone_DisablesTheEndpointAtOnce_AndNothingMoreIsSent()
    {
        var receiver = await ReceiverAsync();
        receiver.Respond = (_, _) => Task.FromResult(410);
        var (endpoint, _) = await EndpointAsync(receiver, "*");
        await _dispatcher.AddDeliveriesAsync(Event("payout.created"), Cancellation);

        await SendDueAsync();

        var stored = await _store.GetWebhookEndpointAsync(_orgId, endpoint.Id, Cancellation);
        Assert.Equal(WebhookEndpointStatus.Disabled, stored!.Status);
        Assert.Contains("410", stored.DisabledReason, StringComparison.Ordinal);
        Assert.Equal(WebhookDeliveryStatus.Failed, (await OnlyDeliveryAsync(endpoint)).Status);
        Assert.Equal(0, await _dispatcher.AddDeliveriesAsync(Event("payout.updated"), Cancellation));
        Assert.Equal(0, await AdvanceAndSendAsync(TimeSpan.FromHours(1)));
        Assert.Single(receiver.Received);
        Assert.Single(_emails.Sent);
    }

    [Fact]
    public async Task FiveDaysOfFailures_DisableTheEndpoint_AndEmailTheAdminsOnce()
    {
        var receiver = await ReceiverAsync();
        receiver.Respond = (_, _) => Task.FromResult(500);
        var (endpoint, _) = await EndpointAsync(receiver, "*");
        var start = _time.GetUtcNow();

        // A new event every 6 hours, each retried on its schedule, for six days.
        while (_time.GetUtcNow() - start < TimeSpan.FromDays(6))
        {
            await _dispatcher.AddDeliveriesAsync(Event("payout.updated"), Cancellation);
            for (var i = 0; i < 36; i++)
            {
                await AdvanceAndSendAsync(TimeSpan.FromMinutes(10));
            }
        }

        var stored = await _store.GetWebhookEndpointAsync(_orgId, endpoint.Id, Cancellation);
        Assert.Equal(WebhookEndpointStatus.Disabled, stored!.Status);
        Assert.Contains("failed since", stored.DisabledReason, StringComparison.Ordinal);
        var lastAttempt = receiver.Received.Max(r => DateTimeOffset.FromUnixTimeSeconds(long.Parse(r.Timestamp, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.InRange(lastAttempt - start, TimeSpan.FromDays(5), TimeSpan.FromDays(5.1));
        var email = Assert.Single(_emails.Sent);
        Assert.Equal("ops@example.com", email.To);
        Assert.Contains(endpoint.Id, email.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disabled_ThenEnabled_ResumesWhatIsStillWithinItsRetryWindow()
    {
        var receiver = await ReceiverAsync();
        receiver.Respond = (n, _) => Task.FromResult(n == 0 ? 500 : 200);
        var (endpoint, _) = await EndpointAsync(receiver, "*");
        await _dispatcher.AddDeliveriesAsync(Event("payout.created"), Cancellation);
        await SendDueAsync();
        var failing = (await _store.GetWebhookEndpointAsync(_orgId, endpoint.Id, Cancellation))!;
        var disabled = failing with { Status = WebhookEndpointStatus.Disabled, Version = failing.Version + 1 };
        Assert.True(await _store.TrySaveWebhookEndpointAsync(disabled, Cancellation));

        Assert.Equal(1, await AdvanceAndSendAsync(TimeSpan.FromMinutes(1)));   // due, but parked: not sent
        Assert.Single(receiver.Received);
        var parked = await OnlyDeliveryAsync(endpoint);
        Assert.Equal(WebhookDeliveryStatus.Pending, parked.Status);
        Assert.Equal(parked.CreatedAt + WebhookRetries.Window, parked.NextAttemptAt);

        // What the API does when the endpoint is enabled again: parked deliveries in their window are due now.
        Assert.True(await _store.TrySaveWebhookEndpointAsync(disabled with { Status = WebhookEndpointStatus.Enabled, Version = disabled.Version + 1 }, Cancellation));
        Assert.True(await _store.TrySaveWebhookDeliveryAsync(parked with { NextAttemptAt = _time.GetUtcNow(), Version = parked.Version + 1 }, Cancellation));
        Assert.Equal(1, await SendDueAsync());

        Assert.Equal(2, receiver.Received.Count);
        Assert.Equal(WebhookDeliveryStatus.Succeeded, (await OnlyDeliveryAsync(endpoint)).Status);
    }

    [Fact]
    public async Task CrashBetweenAttempts_TheNextStartSendsTheRestOnTime()
    {
        var receiver = await ReceiverAsync();
        receiver.Respond = (n, _) => Task.FromResult(n < 2 ? 503 : 200);
        var (endpoint, secret) = await EndpointAsync(receiver, "*");
        await _dispatcher.AddDeliveriesAsync(Event("payout.created"), Cancellation);
        await SendDueAsync();

        _dispatcher = await RestartAsync();
        Assert.Equal(1, await AdvanceAndSendAsync(TimeSpan.FromSeconds(5.6)));
        _dispatcher = await RestartAsync();
        Assert.Equal(0, await AdvanceAndSendAsync(TimeSpan.FromMinutes(4.4)));
        Assert.Equal(1, await AdvanceAndSendAsync(TimeSpan.FromMinutes(1.2)));

        Assert.Equal(3, receiver.Received.Count);
        Assert.All(receiver.Received, r => Assert.True(r.SignedWith(secret)));
        Assert.Equal(WebhookDeliveryStatus.Succeeded, (await OnlyDeliveryAsync(endpoint)).Status);
    }

    [Fact]
    public async Task CrashDuringARequest_TheClaimLapses_AndTheDeliveryIsSentAgain()
    {
        var receiver = await ReceiverAsync();
        var hanging = new TaskCompletionSource();
        receiver.Respond = async (n, _) =>
        {
            if (n == 0)
            {
                await hanging.Task;
            }

            return 200;
        };
        var (endpoint, _) = await EndpointAsync(receiver, "*");
        await _dispatcher.AddDeliveriesAsync(Event("payout.created"), Cancellation);

        // The process dies while the receiver is answering: the delivery stays claimed, its attempt unrecorded.
        using var crash = new CancellationTokenSource();
        var sending = _dispatcher.SendDueAsync(TimeSpan.FromSeconds(30), Task.CompletedTask, crash.Token);
        await receiver.WaitForAsync(1);
        await crash.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
        hanging.SetResult();

        _dispatcher = await RestartAsync();
        Assert.Equal(0, await AdvanceAndSendAsync(WebhookDispatcher.ClaimFor - TimeSpan.FromSeconds(1)));
        Assert.Equal(1, await AdvanceAndSendAsync(TimeSpan.FromSeconds(2)));

        Assert.Equal(2, receiver.Received.Count);
        var delivery = await OnlyDeliveryAsync(endpoint);
        Assert.Equal(WebhookDeliveryStatus.Succeeded, delivery.Status);
        Assert.Equal(200, Assert.Single(delivery.Attempts).StatusCode);
    }

    [Fact]
    public async Task SlowReceiver_HoldsOnlyItsOwnSlots()
    {
        var slow = await ReceiverAsync();
        var release = new TaskCompletionSource();
        slow.Respond = async (_, _) =>
        {
            await release.Task;
            return 200;
        };
        var fast = await ReceiverAsync();
        await EndpointAsync(slow, "*");
        await EndpointAsync(fast, "*");
        for (var i = 0; i < 20; i++)
        {
            await _dispatcher.AddDeliveriesAsync(Event("payout.created"), Cancellation);
        }

        var sending = _dispatcher.SendDueAsync(TimeSpan.FromSeconds(60), Task.CompletedTask, Cancellation);

        // Every delivery to the fast receiver arrives while the slow one holds its first requests unanswered.
        await fast.WaitForAsync(20);
        Assert.Equal(4, slow.Received.Count);
        Assert.Equal(4, slow.MaxConcurrent);
        release.SetResult();
        await sending;
        Assert.Equal(20, slow.Received.Count);
        Assert.InRange(slow.MaxConcurrent, 1, 4);
    }

    private async Task<int> SendDueAsync() => await _dispatcher.SendDueAsync(TimeSpan.FromSeconds(30), Task.CompletedTask, Cancellation);

    private async Task<int> AdvanceAndSendAsync(TimeSpan by)
    {
        _time.Advance(by);
        return await SendDueAsync();
    }

    private async Task<WebhookDelivery> OnlyDeliveryAsync(WebhookEndpoint endpoint) =>
        Assert.Single((await _store.ListWebhookDeliveriesAsync(_orgId, endpoint.Id, new PageRequest(10), Cancellation)).Items);

    private async Task<WebhookReceiver> ReceiverAsync()
    {
        var receiver = await WebhookReceiver.StartAsync();
        _receivers.Add(receiver);
        return receiver;
    }

    private async Task<(WebhookEndpoint Endpoint, string Secret)> EndpointAsync(WebhookReceiver receiver, params string[] eventTypes)
    {
        var (secret, protectedSecret) = new WebhookSecrets(_keys).Create();
        var now = _time.GetUtcNow();
        var endpoint = new WebhookEndpoint(_orgId, PayoutService.NewId("we_"), receiver.Url, eventTypes, null, WebhookEndpointStatus.Enabled, null, protectedSecret, null, null, null, now, now, 1);
        Assert.True(await _store.TrySaveWebhookEndpointAsync(endpoint, Cancellation));
        return (endpoint, secret);
    }

    private int _sequence;

    /// <summary>A payout event of <paramref name="type"/> as the webhooks subscription receives it: encoded as on the topic, then decoded.</summary>
    private DeliveredEvent Event(string type)
    {
        var draft = new PayoutDraft($"po_wh_{++_sequence}", _orgId, "acme", new Money(1_000, Currency.Parse("USD")), Period.Month(2026, 11), null, null);
        var cloudEvent = PayoutCloudEvents.ToCloudEvent(Payout.Create(draft, Actor.User("u1"), _time.GetUtcNow()));
        cloudEvent.Type = PayoutCloudEvents.TypePrefix + type;
        return PayoutCloudEvents.Decode(PayoutCloudEvents.Encode(cloudEvent));
    }

    /// <summary>A new process: a new dispatcher (and HTTP client) over the same store and key ring.</summary>
    private async Task<WebhookDispatcher> RestartAsync()
    {
        _store = await CreateStoreAsync(_time);
        return NewDispatcher();
    }

    private WebhookDispatcher NewDispatcher()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton(_store);
        services.AddSingleton<IEmailSender>(_emails);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Webhooks:PollInterval"] = "00:00:00.020" }).Build();
        services.AddWebhooks(configuration, new HostingEnvironment { EnvironmentName = "Development" });
        services.AddSingleton(new WebhookSecrets(_keys));
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<WebhookDispatcher>();
    }

    private sealed class RecordingEmailSender : IEmailSender
    {
        public System.Collections.Concurrent.ConcurrentQueue<EmailMessage> Sent { get; } = new();

        public Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
        {
            Sent.Enqueue(message);
            return Task.CompletedTask;
        }
    }
}
