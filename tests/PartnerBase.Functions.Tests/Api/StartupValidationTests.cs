using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace PartnerBase.Functions.Tests.Api;

/// <summary>A misconfigured serverless instance must fail at start, not on its first request.</summary>
public sealed class StartupValidationTests
{
    [Fact]
    public void Start_CosmosWithoutEndpoint_FailsNamingTheSetting()
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder.UseSetting("Storage:Provider", "cosmos"));

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("Endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_InProductionWithoutTokenAuthority_Fails()
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder.UseEnvironment("Production"));

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("Authority", error.Message, StringComparison.Ordinal);
    }
}
