using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Tests.Storage;

public sealed class InMemoryPayoutStoreContractTests : PayoutStoreContractTests
{
    protected override IPayoutStore CreateStore(TimeProvider timeProvider) => new InMemoryPayoutStore(timeProvider);
}
