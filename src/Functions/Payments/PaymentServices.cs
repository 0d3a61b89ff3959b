using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PartnerBase.Core.Payments;

namespace PartnerBase.Functions.Payments;

public static class PaymentServices
{
    /// <summary>
    /// The payment gateway chosen by <c>Payments:Provider</c>: the simulated one (the default) or Stripe, whose API key is
    /// checked at start. Either is one instance for the process: the simulated gateway remembers its transfers, and
    /// Stripe's client holds the connection pool.
    /// </summary>
    public static IServiceCollection AddPaymentGateway(this IServiceCollection services)
    {
        services.AddOptions<PaymentOptions>().BindConfiguration(PaymentOptions.Section)
            .Validate(options => options.IsValid, "Payments:Stripe:ApiKey must be set when Payments:Provider is Stripe.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SimulatedPaymentGateway>();
        services.AddSingleton(provider => new StripePaymentGateway(provider.GetRequiredService<IOptions<PaymentOptions>>().Value.Stripe));
        services.AddSingleton<IPaymentGateway>(provider => provider.GetRequiredService<IOptions<PaymentOptions>>().Value.Provider switch
        {
            PaymentProvider.Stripe => provider.GetRequiredService<StripePaymentGateway>(),
            _ => provider.GetRequiredService<SimulatedPaymentGateway>(),
        });
        return services;
    }
}
