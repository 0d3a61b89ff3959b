using Microsoft.Azure.Cosmos;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Cosmos;
using PartnerBase.Functions.Tests.Storage;

namespace PartnerBase.Functions.Tests.Webhooks;

public sealed class InMemoryWebhookDeliveryTests : WebhookDeliveryTests
{
    private InMemoryPayoutStore? _store;

    // One store for the test, as one process's memory: a "restart" keeps it (the embedded store does not survive a
    // real one; the Cosmos variant shows what does).
    protected override Task<IPayoutStore> CreateStoreAsync(TimeProvider time) => Task.FromResult<IPayoutStore>(_store ??= new InMemoryPayoutStore(time));
}

/// <summary>On the local Cosmos-protocol server, a container per test (the sender's query spans organizations); a restart is a new store object.</summary>
public sealed class CosmosWebhookDeliveryTests(CosmosServer server) : WebhookDeliveryTests
{
    private Container? _container;

    protected override async Task<IPayoutStore> CreateStoreAsync(TimeProvider time)
    {
        _container ??= (await server.Client.GetDatabase(server.Database).CreateContainerAsync(
            CosmosServices.PayoutsContainer("webhooks-" + Guid.NewGuid().ToString("N")[..8]), cancellationToken: TestContext.Current.CancellationToken)).Container;
        return new CosmosPayoutStore(_container, time);
    }
}
