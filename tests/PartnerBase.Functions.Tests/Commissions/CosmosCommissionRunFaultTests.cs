using PartnerBase.Core.Storage;
using PartnerBase.Functions.Cosmos;
using PartnerBase.Functions.Tests.Storage;

namespace PartnerBase.Functions.Tests.Commissions;

/// <summary>Crash safety of commission runs on Cosmos DB, whose claims and creates are separate documents.</summary>
public sealed class CosmosCommissionRunFaultTests(CosmosServer server) : CommissionRunFaultTests
{
    protected override IPayoutStore CreateStore(TimeProvider time) => new CosmosPayoutStore(server.Container, time);
}
