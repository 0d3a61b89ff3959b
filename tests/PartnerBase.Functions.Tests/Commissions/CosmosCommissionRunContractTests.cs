using PartnerBase.Core.Storage;
using PartnerBase.Functions.Cosmos;
using PartnerBase.Functions.Tests.Storage;

namespace PartnerBase.Functions.Tests.Commissions;

/// <summary>Commission runs against Cosmos DB: the local Cosmos-protocol server, or COSMOS_TEST_ENDPOINT.</summary>
public sealed class CosmosCommissionRunContractTests(CosmosServer server) : CommissionRunContractTests
{
    protected override IPayoutStore CreateStore(TimeProvider time) => new CosmosPayoutStore(server.Container, time);
}
