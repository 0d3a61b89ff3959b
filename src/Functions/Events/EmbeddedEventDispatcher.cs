using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Events;

/// <summary>
/// The embedded default's stand-in for Cosmos change feed → Service Bus → consumers: it follows the in-memory
/// store's event log and hands each event — encoded and decoded as the CloudEvent the topic would carry — to every
/// consumer whose subscription takes it. As with the topic's subscriptions, each consumer follows the log on its own
/// (one that keeps failing never holds up another), gets each event at least once and in order, and an event it
/// fails on <see cref="MaxDeliveries"/> times — the subscriptions' maxDeliveryCount — is given up on with an error
/// (where Service Bus would dead-letter it), so one poison event cannot stop that consumer for good.
/// </summary>
public sealed partial class EmbeddedEventDispatcher(InMemoryPayoutStore store, EventDelivery delivery, ILogger<EmbeddedEventDispatcher> logger) : BackgroundService
{
    public const int MaxDeliveries = 10;

    private const int BatchSize = 100;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(100);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(delivery.Consumers.Select(consumer => FollowAsync(consumer, stoppingToken)));

    private async Task FollowAsync(IPayoutEventConsumer consumer, CancellationToken stoppingToken)
    {
        var position = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var batch = store.ReadEventLog(position, BatchSize);
            if (batch.Count == 0)
            {
                await Task.Delay(IdlePoll, stoppingToken);
                continue;
            }

            foreach (var change in batch)
            {
                if (consumer.Accepts(PayoutCloudEvents.TypeOf(change)))
                {
                    var delivered = PayoutCloudEvents.Decode(PayoutCloudEvents.Encode(PayoutCloudEvents.ToCloudEvent(change)));
                    await DeliverAsync(consumer.Name, delivered, stoppingToken);
                }

                position++;
            }
        }
    }

    private async Task DeliverAsync(string consumer, DeliveredEvent delivered, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await delivery.DeliverAsync(consumer, delivered, stoppingToken);
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException && attempt < MaxDeliveries)
            {
                LogRetry(consumer, delivered.Id, attempt, exception);
                await Task.Delay(RetryDelay * attempt, stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogGaveUp(consumer, delivered.Id, delivered.Type, delivered.OrgId, delivered.PayoutId, attempt, exception);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} failed on event {EventId} (delivery {Attempt}); trying again")]
    private partial void LogRetry(string consumer, string eventId, int attempt, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer} gave up on event {EventId} ({Type}, payout {PayoutId} in {OrgId}) after {Attempts} deliveries; Service Bus would dead-letter it")]
    private partial void LogGaveUp(string consumer, string eventId, string type, string orgId, string payoutId, int attempts, Exception exception);
}
