using Microsoft.Extensions.DependencyInjection;
using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Tests.Api;

/// <summary>Guards the premise of this suite: which store the app under test really runs on.</summary>
public sealed class StoreSelectionTests(ApiFactory factory)
{
    [Fact]
    public async Task App_RunsOnTheStoreThisSuiteIsBuiltFor()
    {
        var store = factory.Services.GetRequiredService<IPayoutStore>();
#if COSMOS
        Assert.IsType<Functions.Cosmos.CosmosPayoutStore>(store);
        var counter = factory.Services.GetRequiredService<Functions.Cosmos.CosmosRequestCounter>();
        var before = counter.Count;
        await new TestOrg(factory).CreatePartnerAsync();
        Assert.True(counter.Count > before, "creating a partner sent no request to Cosmos DB");
#else
        Assert.IsType<InMemoryPayoutStore>(store);
        await Task.CompletedTask;
#endif
    }
}
