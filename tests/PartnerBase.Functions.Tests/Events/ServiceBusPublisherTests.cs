using System.Text.Json;
using Azure.Core;
using PartnerBase.Functions.Events;

namespace PartnerBase.Functions.Tests.Events;

public sealed class ServiceBusPublisherTests : IAsyncLifetime
{
    private FakeServiceBus _serviceBus = null!;

    public async ValueTask InitializeAsync() => _serviceBus = await FakeServiceBus.StartAsync();

    public async ValueTask DisposeAsync() => await _serviceBus.DisposeAsync();

    [Fact]
    public async Task PublishAsync_Through201_401_500_503_EveryEventEndsUpPublishedOnceWithTheWireFormat()
    {
        var events = TestEvents.History();
        _serviceBus.Script([201, 401, 500, 503]);
        var publisher = Publisher();

        // The host retries a failed batch as a whole (the Cosmos trigger's retry policy); at most a few times here.
        var attempts = 0;
        Exception? last = null;
        for (; attempts < 5; attempts++)
        {
            try
            {
                await publisher.PublishAsync(events, TestContext.Current.CancellationToken);
                last = null;
                break;
            }
            catch (Azure.RequestFailedException exception)
            {
                last = exception;
            }
        }

        Assert.Null(last);
        Assert.Empty(_serviceBus.WireErrors);
        Assert.Equal([201, 401, 500, 503], _serviceBus.Answers.Take(4));
        Assert.True(attempts >= 1, "the 401 must fail the first attempt");
        Assert.Equal(events.Select(e => e.Id).Order(), _serviceBus.Accepted.Keys.Order());
        foreach (var change in events)
        {
            var message = _serviceBus.Accepted[change.Id];
            using var broker = JsonDocument.Parse(message.BrokerProperties);
            Assert.Equal(change.PayoutId, broker.RootElement.GetProperty("SessionId").GetString());
            Assert.Equal(change.PayoutId, broker.RootElement.GetProperty("CorrelationId").GetString());
            Assert.Equal("com.partnerbase." + change.Type, broker.RootElement.GetProperty("Label").GetString());
            Assert.Equal($"\"com.partnerbase.{change.Type}\"", message.EventType);
            Assert.Equal($"\"{change.OrgId}\"", message.OrgId);
            Assert.Equal("\"pt_1\"", message.PartnerId);
            var decoded = PayoutCloudEvents.Decode(System.Text.Encoding.UTF8.GetBytes(message.Body));
            Assert.Equal(change.Sequence, decoded.Sequence);
            Assert.Equal(change.PayoutId, decoded.PayoutId);
        }
    }

    [Fact]
    public async Task PublishAsync_EventsOfOnePayout_AreSentInVersionOrder()
    {
        var events = TestEvents.History();
        var publisher = Publisher();

        await publisher.PublishAsync(events.Reverse().ToList(), TestContext.Current.CancellationToken);

        Assert.Equal(events.Select(e => e.Id), _serviceBus.Arrivals);
    }

    [Fact]
    public async Task PublishAsync_Unauthorized_ThrowsWithoutRetrying()
    {
        _serviceBus.Script([], then: 401);

        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => Publisher().PublishAsync([TestEvents.History()[0]], TestContext.Current.CancellationToken));

        Assert.Single(_serviceBus.Answers);
        Assert.Empty(_serviceBus.Accepted);
    }

    private ServiceBusPublisher Publisher() => new(
        new ServiceBusOptions { ConnectionString = FakeServiceBus.ConnectionString, EndpointOverride = _serviceBus.BaseUri },
        credential: null,
        new FastRetries());

    private sealed class FastRetries : ClientOptions
    {
        public FastRetries()
        {
            Retry.MaxRetries = 3;
            Retry.Delay = TimeSpan.FromMilliseconds(5);
            Retry.MaxDelay = TimeSpan.FromMilliseconds(20);
        }
    }
}
