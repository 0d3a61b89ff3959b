using PartnerBase.Core.Storage;
using PartnerBase.Functions.Cosmos;

namespace PartnerBase.Functions.Tests.Storage;

/// <summary>The store contract against Cosmos DB: the local Cosmos-protocol server, or COSMOS_TEST_ENDPOINT.</summary>
public sealed class CosmosPayoutStoreContractTests(CosmosServer server) : PayoutStoreContractTests
{
    protected override IPayoutStore CreateStore(TimeProvider timeProvider) => new CosmosPayoutStore(server.Container, timeProvider);
}
