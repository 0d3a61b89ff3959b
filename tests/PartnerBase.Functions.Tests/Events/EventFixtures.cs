using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PartnerBase.Core;
using PartnerBase.Core.Payouts;
using PartnerBase.Functions.Cosmos;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Tests.Hosting;

namespace PartnerBase.Functions.Tests.Events;

/// <summary>A consumer that records what it is given, and can be told to fail.</summary>
public sealed class RecordingConsumer(string name) : IPayoutEventConsumer
{
    public string Name => name;

    public ConcurrentQueue<DeliveredEvent> Received { get; } = new();

    /// <summary>Each delivery it failed, as told.</summary>
    public ConcurrentQueue<DeliveredEvent> Failed { get; } = new();

    /// <summary>Which deliveries it fails; <see cref="Fail"/> sets all or none.</summary>
    public Func<DeliveredEvent, bool> FailWhen { get; set; } = _ => false;

    public bool Fail
    {
        set => FailWhen = _ => value;
    }

    public Task HandleAsync(DeliveredEvent payoutEvent, CancellationToken cancellationToken)
    {
        if (FailWhen(payoutEvent))
        {
            Failed.Enqueue(payoutEvent);
            throw new InvalidOperationException("The consumer failed, as told.");
        }

        Received.Enqueue(payoutEvent);
        return Task.CompletedTask;
    }
}

/// <summary>
/// The Function App on the in-memory store and topic, its event consumers replaced by recording ones; the timers run
/// only when a test invokes them (<see cref="InvokeAsync"/>), so a test controls every relay and consumer run.
/// </summary>
public sealed class RecordingApp : IAsyncDisposable
{
    private FunctionApp _app = null!;

    public RecordingConsumer Payments { get; } = new(Subscriptions.Payments);

    public RecordingConsumer Notifications { get; } = new(Subscriptions.Notifications);

    public IServiceProvider Services => _app.Services;

    public InMemoryTopic Topic => Services.GetRequiredService<InMemoryTopic>();

    public static async Task<RecordingApp> StartAsync()
    {
        var app = new RecordingApp();
        app._app = await FunctionApp.StartAsync(builder =>
        {
            Api.ApiFactory.UseTestSettings(builder);
            builder.ConfigureTestServices(services =>
            {
                services.RemoveAll<IPayoutEventConsumer>();
                services.AddSingleton<IPayoutEventConsumer>(app.Payments);
                services.AddSingleton<IPayoutEventConsumer>(app.Notifications);
            });
        });
        return app;
    }

    public HttpClient CreateClient() => _app.CreateClient();

    /// <summary>Runs a timer function once, as the host fires it, and fails the test if the run failed.</summary>
    public async Task InvokeAsync(string function)
    {
        var result = await _app.Host.InvokeAsync(function, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.Succeeded, $"{function} failed: {result.Error}");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

public static class TestEvents
{
    public static PayoutEvent[] History(string orgId = "org_events", string payoutId = "po_events_1")
    {
        var usd = Currency.Parse("USD");
        var at = new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);
        var created = Payout.Create(new PayoutDraft(payoutId, orgId, "pt_1", new Money(12_345, usd), Period.Month(2026, 7), null, null), Actor.User("manager"), at);
        var approved = created.Payout.Approve(Actor.User("approver"), ApprovalPolicy.Default, at.AddMinutes(1)).Value;
        var processing = approved.Payout.MarkProcessing(Actor.System, at.AddMinutes(2)).Value;
        var paid = processing.Payout.MarkPaid(Actor.System, "tr_1", at.AddMinutes(3)).Value;
        return [created, approved, processing, paid];
    }

    /// <summary>The message body as Service Bus delivers it: the structured CloudEvent.</summary>
    public static JsonNode Message(PayoutEvent change) => JsonNode.Parse(Encoding.UTF8.GetString(PayoutCloudEvents.Encode(PayoutCloudEvents.ToCloudEvent(change)).Span))!;
}
