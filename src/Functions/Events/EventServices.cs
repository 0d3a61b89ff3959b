using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Options;
using PartnerBase.Core.Payments;
using PartnerBase.Functions.Notifications;
using PartnerBase.Functions.Payments;

namespace PartnerBase.Functions.Events;

public enum EventTransport
{
    Memory,
    ServiceBus,
}

public sealed class EventOptions
{
    public const string Section = "Events";

    /// <summary>Where payout events travel: the in-memory topic (default in Development) or Azure Service Bus.</summary>
    public EventTransport? Transport { get; set; }
}

public static class EventServices
{
    /// <summary>The relay, the topic (in memory or Service Bus, by Events:Transport) and the consumers of its subscriptions.</summary>
    public static IServiceCollection AddPayoutEvents(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddPaymentGateway();
        services.AddSingleton<PaymentService>();
        services.AddSingleton<IPayoutEventConsumer, PaymentsConsumer>();
        services.AddNotifications();
        services.AddSingleton<EventDelivery>();
        services.AddSingleton<EventRelay>();
        services.AddSingleton<SubscriptionConsumer>();

        var transport = configuration.GetSection(EventOptions.Section).Get<EventOptions>()?.Transport
            ?? (environment.IsDevelopment() ? EventTransport.Memory : EventTransport.ServiceBus);
        if (transport == EventTransport.Memory)
        {
            services.AddSingleton<InMemoryTopic>();
            services.AddSingleton<IEventTopic>(provider => provider.GetRequiredService<InMemoryTopic>());
            return services;
        }

        services.AddOptions<ServiceBusOptions>().BindConfiguration(ServiceBusOptions.Section)
            .Validate(options => options.IsConfigured, "ServiceBus:FullyQualifiedNamespace or ServiceBus:ConnectionString must be set when Events:Transport is servicebus.")
            .ValidateOnStart();
        services.AddAzureClients(clients =>
        {
            // One client for the app (an AMQP connection, shared by its senders and receivers), made from the validated
            // options: the namespace with the app's identity, or a connection string. Retries: the SDK's, each try at
            // most 10 s, which is also how long a consumer run waits for a session when none has messages.
            clients.AddClient<ServiceBusClient, ServiceBusClientOptions>((clientOptions, credential, provider) =>
            {
                clientOptions.RetryOptions.TryTimeout = TimeSpan.FromSeconds(10);
                var options = provider.GetRequiredService<IOptions<ServiceBusOptions>>().Value;
                return string.IsNullOrEmpty(options.ConnectionString)
                    ? new ServiceBusClient(options.FullyQualifiedNamespace, credential, clientOptions)
                    : new ServiceBusClient(options.ConnectionString, clientOptions);
            });
            clients.UseCredential(new DefaultAzureCredential());
        });
        services.AddSingleton<IEventTopic, ServiceBusTopic>();
        return services;
    }
}
