using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Events;

/// <summary>
/// The outbox relay (ARCHITECTURE.md decision 2): reads committed payout events from the store's event log after its
/// durable position, sends them to the topic, and only then moves the position. A crash between the two sends them
/// again, and the topic's duplicate detection (MessageId = event id) drops the copies; a send that fails leaves the
/// position where it was and fails the run. Each run does bounded work: at most <see cref="MaxEventsPerRun"/> events
/// and <see cref="MaxReadsPerRun"/> reads.
/// </summary>
/// <param name="reader">The name its position is kept under.</param>
/// <param name="pageSize">Events read (and sent) per step.</param>
public sealed partial class EventRelay(IPayoutStore store, IEventTopic topic, ILogger<EventRelay> logger, string reader = EventRelay.Reader, int pageSize = EventRelay.PageSize)
{
    public const string Reader = "payout-events-relay";
    public const int PageSize = 250;
    public const int MaxEventsPerRun = 5_000;
    public const int MaxReadsPerRun = 100;

    /// <summary>Relays what is new; returns how many events were sent.</summary>
    public async Task<int> RelayAsync(CancellationToken cancellationToken)
    {
        var position = await store.GetEventLogPositionAsync(reader, cancellationToken);
        var sent = 0;
        // A read may pass only other documents (the Cosmos change feed carries the whole container): keep reading
        // while the position moves, within the run's bounds.
        for (var reads = 0; reads < MaxReadsPerRun && sent < MaxEventsPerRun; reads++)
        {
            var page = await store.ReadEventLogAsync(position, pageSize, cancellationToken);
            if (page.Events.Count > 0)
            {
                await topic.SendAsync(page.Events.Select(PayoutMessages.ToMessage).ToList(), cancellationToken);
                sent += page.Events.Count;
            }

            if (page.Position is null || page.Position == position)
            {
                break;
            }

            await store.SaveEventLogPositionAsync(reader, page.Position, cancellationToken);
            position = page.Position;
            if (!page.More)
            {
                break;
            }
        }

        if (sent > 0)
        {
            LogRelayed(logger, sent);
        }

        return sent;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Relayed {Count} payout events to the topic")]
    private static partial void LogRelayed(ILogger logger, int count);
}
