using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Tests.Commissions;

public sealed class InMemoryCommissionRunContractTests : CommissionRunContractTests
{
    protected override IPayoutStore CreateStore(TimeProvider time) => new InMemoryPayoutStore(time);
}
