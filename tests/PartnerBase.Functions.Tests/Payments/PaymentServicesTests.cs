using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PartnerBase.Core.Payments;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Payments;

namespace PartnerBase.Functions.Tests.Payments;

public sealed class PaymentServicesTests
{
    [Fact]
    public void AddPaymentGateway_StripeWithoutApiKey_FailsValidationAtStart()
    {
        using var provider = Build(new() { ["Payments:Provider"] = "Stripe" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Payments:Stripe:ApiKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPaymentGateway_StripeWithApiKey_UsesStripeGateway()
    {
        using var provider = Build(new() { ["Payments:Provider"] = "Stripe", ["Payments:Stripe:ApiKey"] = "sk_test_configured" });

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.IsType<StripePaymentGateway>(provider.GetRequiredService<IPaymentGateway>());
    }

    [Fact]
    public void AddPaymentGateway_WithoutSettings_UsesOneSimulatedGateway()
    {
        using var provider = Build([]);

        provider.GetRequiredService<IStartupValidator>().Validate();

        var gateway = Assert.IsType<SimulatedPaymentGateway>(provider.GetRequiredService<IPaymentGateway>());
        Assert.Same(gateway, provider.GetRequiredService<IPaymentGateway>());
        Assert.Same(gateway, provider.GetRequiredService<SimulatedPaymentGateway>());
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddSingleton<IPayoutStore>(new InMemoryPayoutStore(TimeProvider.System));
        services.AddPaymentGateway();
        return services.BuildServiceProvider();
    }
}
