using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Events;

/// <summary>
/// The embedded default's stand-in for Cosmos change feed → Service Bus → consumers: it follows the in-memory
/// store's event log and hands each event — encoded and decoded as the CloudEvent the topic would carry — to every
/// consumer whose subscription takes it. As with the topic's subscriptions, each consumer has its own place in the
/// log (one that keeps failing never holds up another), gets each event at least once and in order, and an event it
/// fails on <see cref="MaxDeliveries"/> times — the subscriptions' maxDeliveryCount — is given up on with an error
/// (where Service Bus would dead-letter it), so one poison event cannot stop that consumer for good. One loop takes
/// the consumers in turn, so this background work never takes more than one core from the requests.
/// </summary>
public sealed partial class EmbeddedEventDispatcher(
    InMemoryPayoutStore store, EventDelivery delivery, TimeProvider timeProvider, ILogger<EmbeddedEventDispatcher> logger) : BackgroundService
{
    public const int MaxDeliveries = 10;

    private const int BatchSize = 100;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var followers = delivery.Consumers.Select(consumer => new Follower(consumer)).ToList();

        // The consumers are mostly at the same place: each event goes through the wire format once per turn.
        var wire = new Dictionary<int, DeliveredEvent>();
        while (!stoppingToken.IsCancellationRequested)
        {
            var passed = 0;
            wire.Clear();
            foreach (var follower in followers)
            {
                passed += await StepAsync(follower, wire, stoppingToken);
            }

            if (passed == 0)
            {
                await Task.Delay(IdlePoll, stoppingToken);
            }
        }
    }

    /// <summary>
    /// Hands the consumer its next events, up to a batch, and returns how many it got past; stops at a failure, to
    /// try that event again after a pause.
    /// </summary>
    private async Task<int> StepAsync(Follower follower, Dictionary<int, DeliveredEvent> wire, CancellationToken stoppingToken)
    {
        if (timeProvider.GetUtcNow() < follower.RetryAt)
        {
            return 0;
        }

        var passed = 0;
        foreach (var change in store.ReadEventLog(follower.Position, BatchSize))
        {
            if (follower.Consumer.Accepts(PayoutCloudEvents.TypeOf(change)))
            {
                if (!wire.TryGetValue(follower.Position, out var cloudEvent))
                {
                    wire[follower.Position] = cloudEvent = PayoutCloudEvents.Decode(PayoutCloudEvents.Encode(PayoutCloudEvents.ToCloudEvent(change)));
                }

                try
                {
                    await delivery.DeliverAsync(follower.Consumer.Name, cloudEvent, stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    if (++follower.FailedDeliveries < MaxDeliveries)
                    {
                        LogRetry(follower.Consumer.Name, cloudEvent.Id, follower.FailedDeliveries, exception);
                        follower.RetryAt = timeProvider.GetUtcNow() + (RetryDelay * follower.FailedDeliveries);
                        return passed;
                    }

                    LogGaveUp(follower.Consumer.Name, cloudEvent.Id, cloudEvent.Type, cloudEvent.OrgId, cloudEvent.PayoutId, follower.FailedDeliveries, exception);
                }
            }

            follower.Position++;
            follower.FailedDeliveries = 0;
            passed++;
        }

        return passed;
    }

    /// <summary>One consumer's place in the event log, like a subscription's.</summary>
    private sealed class Follower(IPayoutEventConsumer consumer)
    {
        public IPayoutEventConsumer Consumer { get; } = consumer;

        public int Position { get; set; }

        public int FailedDeliveries { get; set; }

        public DateTimeOffset RetryAt { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} failed on event {EventId} (delivery {Attempt}); trying again")]
    private partial void LogRetry(string consumer, string eventId, int attempt, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer} gave up on event {EventId} ({Type}, payout {PayoutId} in {OrgId}) after {Attempts} deliveries; Service Bus would dead-letter it")]
    private partial void LogGaveUp(string consumer, string eventId, string type, string orgId, string payoutId, int attempts, Exception exception);
}
