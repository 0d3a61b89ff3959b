using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PartnerBase.Core;
using PartnerBase.Core.Payouts;
using PartnerBase.Functions.Cosmos;
using PartnerBase.Functions.Events;

namespace PartnerBase.Functions.Tests.Events;

/// <summary>A consumer that records what it is given, and can be told to fail.</summary>
public sealed class RecordingConsumer(string name, Func<string, bool> accepts) : IPayoutEventConsumer
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

    public bool Accepts(string eventType) => accepts(eventType);

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

/// <summary>The app as the Functions host runs it (trigger endpoints mapped), on the in-memory store, publishing to a fake topic.</summary>
public sealed class HostedAppFactory(FakeServiceBus serviceBus, bool underHost = true) : WebApplicationFactory<Program>
{
    public RecordingConsumer Payments { get; } = new("payments", type => type.EndsWith("payout.approved", StringComparison.Ordinal));

    public RecordingConsumer Notifications { get; } = new("notifications", _ => true);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        if (underHost)
        {
            builder.UseSetting("FUNCTIONS_CUSTOMHANDLER_PORT", "7199");
        }

        Api.ApiFactory.UseTestSettings(builder);
        builder.UseSetting("ServiceBus:ConnectionString", FakeServiceBus.ConnectionString);
        builder.UseSetting("ServiceBus:EndpointOverride", serviceBus.BaseUri.ToString());
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IPayoutEventConsumer>();
            services.AddSingleton<IPayoutEventConsumer>(Payments);
            services.AddSingleton<IPayoutEventConsumer>(Notifications);
        });
    }
}

public static class TestEvents
{
    public static PayoutEvent[] History(string orgId = "org_events", string payoutId = "po_events_1")
    {
        var usd = Currency.Parse("USD");
        var at = new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);
        var created = Payout.Create(new PayoutDraft(payoutId, orgId, "pt_1", new Money(12_345, usd), Period.Month(2026, 7), null, null), Actor.User("manager"), at);
        var approved = created.Payout.Approve(Actor.User("approver"), at.AddMinutes(1)).Value;
        var processing = approved.Payout.MarkProcessing(Actor.System, at.AddMinutes(2)).Value;
        var paid = processing.Payout.MarkPaid(Actor.System, "tr_1", at.AddMinutes(3)).Value;
        return [created, approved, processing, paid];
    }

    /// <summary>Payout events as the Cosmos DB trigger delivers them: the stored event documents.</summary>
    public static JsonNode Document(PayoutEvent change) => JsonNode.Parse(JsonSerializer.Serialize(PayoutEventDocument.From(change), Documents.Json))!;

    /// <summary>The message body as Service Bus delivers it: the structured CloudEvent.</summary>
    public static JsonNode Message(PayoutEvent change) => JsonNode.Parse(Encoding.UTF8.GetString(PayoutCloudEvents.Encode(PayoutCloudEvents.ToCloudEvent(change)).Span))!;

    /// <summary>The host's invocation payload; <paramref name="encodeTwice"/> sends the value as a string holding JSON.</summary>
    public static StringContent Invocation(string binding, JsonNode value, bool encodeTwice, string? messageId = null)
    {
        var payload = new JsonObject
        {
            ["Data"] = new JsonObject { [binding] = encodeTwice ? JsonValue.Create(value.ToJsonString()) : value.DeepClone() },
            ["Metadata"] = new JsonObject
            {
                ["MessageId"] = messageId ?? "m-1",
                ["DeliveryCount"] = "1",
                ["sys"] = new JsonObject { ["MethodName"] = binding, ["UtcNow"] = "2026-07-01T09:00:00Z" },
            },
        };
        return new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json");
    }
}
