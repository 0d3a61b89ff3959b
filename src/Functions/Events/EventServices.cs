using Azure.Identity;
using Microsoft.Extensions.Options;
using PartnerBase.Core.Payments;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Notifications;
using PartnerBase.Functions.Payments;

namespace PartnerBase.Functions.Events;

public static class EventServices
{
    /// <summary>
    /// Consumers always; under the Functions host, the Service Bus publisher (the host's triggers drive it); on the
    /// embedded in-memory store, the in-process dispatcher instead.
    /// </summary>
    public static IServiceCollection AddPayoutEvents(this IServiceCollection services, bool underFunctionsHost, bool embeddedStore)
    {
        services.AddPaymentGateway();
        services.AddSingleton<PaymentService>();
        services.AddSingleton<IPayoutEventConsumer, PaymentsConsumer>();
        services.AddNotifications();
        services.AddSingleton<EventDelivery>();
        if (underFunctionsHost)
        {
            services.AddOptions<ServiceBusOptions>().BindConfiguration(ServiceBusOptions.Section)
                .Validate(options => options.IsConfigured, "ServiceBus:FullyQualifiedNamespace or ServiceBus:ConnectionString must be set under the Functions host.")
                .ValidateOnStart();
            services.AddSingleton<IPayoutEventPublisher>(provider =>
            {
                var options = provider.GetRequiredService<IOptions<ServiceBusOptions>>().Value;
                return new ServiceBusPublisher(options, string.IsNullOrEmpty(options.ConnectionString) ? new DefaultAzureCredential() : null);
            });
        }
        else if (embeddedStore)
        {
            services.AddHostedService<EmbeddedEventDispatcher>();
        }

        return services;
    }
}
