using PartnerBase.Core.Payments;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Notifications;
using PartnerBase.Functions.Payments;

namespace PartnerBase.Functions.Events;

public static class EventServices
{
    /// <summary>
    /// The consumers; on the embedded in-memory store, the in-process dispatcher that feeds them. (The Service Bus
    /// relay and the consumer functions of CONTRACT §7 replace the dispatcher with the next step.)
    /// </summary>
    public static IServiceCollection AddPayoutEvents(this IServiceCollection services, bool embeddedStore)
    {
        services.AddPaymentGateway();
        services.AddSingleton<PaymentService>();
        services.AddSingleton<IPayoutEventConsumer, PaymentsConsumer>();
        services.AddNotifications();
        services.AddSingleton<EventDelivery>();
        if (embeddedStore)
        {
            services.AddHostedService<EmbeddedEventDispatcher>();
        }

        return services;
    }
}
