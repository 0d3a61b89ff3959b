using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;
using PartnerBase.Functions.Tests.Hosting;

namespace PartnerBase.Functions.Tests.Api;

/// <summary>A misconfigured serverless instance must fail at start, not on its first request.</summary>
public sealed class StartupValidationTests
{
    [Fact]
    public async Task Start_CosmosWithoutEndpoint_FailsNamingTheSetting()
    {
        var error = await StartFailureAsync(builder => builder.UseSetting("Storage:Provider", "cosmos"));

        Assert.Contains("Endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_InProductionWithoutTokenAuthority_Fails()
    {
        var error = await StartFailureAsync(builder => builder.UseSetting("Events:Transport", "memory"), "Production");

        Assert.Contains("Authority", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ServiceBusTransportWithoutNamespace_FailsNamingTheSetting()
    {
        var error = await StartFailureAsync(builder => builder.UseSetting("Events:Transport", "servicebus"));

        Assert.Contains("ServiceBus:FullyQualifiedNamespace", error.Message, StringComparison.Ordinal);
    }

    private static async Task<OptionsValidationException> StartFailureAsync(Action<IWebHostBuilder> configure, string environment = "Development")
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () => await (await FunctionApp.StartAsync(configure, environment)).DisposeAsync());
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is OptionsValidationException validation)
            {
                return validation;
            }
        }

        throw new Xunit.Sdk.XunitException($"The start failed, but not on options validation: {error}");
    }
}
