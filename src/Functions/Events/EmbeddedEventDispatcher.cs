using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Events;

/// <summary>
/// The embedded default's stand-in for Cosmos change feed → Service Bus → consumers: it follows the in-memory
/// store's event log and hands each event — encoded and decoded as the CloudEvent the topic would carry — to every
/// consumer whose subscription takes it. At least once and in order: an event a consumer fails on is retried (with
/// backoff) before any later one; the consumers' dedupe makes the repeats harmless.
/// </summary>
public sealed partial class EmbeddedEventDispatcher(InMemoryPayoutStore store, EventDelivery delivery, ILogger<EmbeddedEventDispatcher> logger) : BackgroundService
{
    private const int BatchSize = 100;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
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
                var delivered = PayoutCloudEvents.Decode(PayoutCloudEvents.Encode(PayoutCloudEvents.ToCloudEvent(change)));
                foreach (var consumer in delivery.Consumers.Where(c => c.Accepts(delivered.Type)))
                {
                    await DeliverUntilHandledAsync(consumer.Name, delivered, stoppingToken);
                }

                position++;
            }
        }
    }

    private async Task DeliverUntilHandledAsync(string consumer, DeliveredEvent delivered, CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await delivery.DeliverAsync(consumer, delivered, stoppingToken);
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogRetry(consumer, delivered.Id, backoff, exception);
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} failed on event {EventId}; retrying in {Backoff}")]
    private partial void LogRetry(string consumer, string eventId, TimeSpan backoff, Exception exception);
}
