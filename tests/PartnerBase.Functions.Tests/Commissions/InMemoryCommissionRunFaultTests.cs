using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Tests.Commissions;

public sealed class InMemoryCommissionRunFaultTests : CommissionRunFaultTests
{
    protected override IPayoutStore CreateStore(TimeProvider time) => new InMemoryPayoutStore(time);
}
