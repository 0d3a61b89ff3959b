using System.Net;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using PartnerBase.Functions.Blobs;
using PartnerBase.Functions.Events;

namespace PartnerBase.Functions.Webhooks;

public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>Endpoints an organization may have.</summary>
    public const int MaxEndpoints = 20;

    /// <summary>The longest endpoint URL.</summary>
    public const int MaxUrlLength = 2048;

    /// <summary>
    /// Whether endpoints may be plain <c>http</c> and reach loopback and private addresses: for local receivers, in
    /// Development only (its default there; false elsewhere).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Whether <c>http</c> URLs are accepted (Development); elsewhere only <c>https</c>.</summary>
    public bool AllowHttp { get; set; }

    /// <summary>How long a receiver has to answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Requests under way to one endpoint at most: a slow receiver holds only its own slots.</summary>
    public int MaxConcurrencyPerEndpoint { get; set; } = 4;

    /// <summary>Requests under way at most, over all endpoints.</summary>
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>How often a sender with requests under way looks again for due deliveries (new ones wake it at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How often a sender with nothing under way looks again, while new events may still come.</summary>
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>The delivery subscription's consumer: turns each event into its deliveries (the sending is the dispatcher's).</summary>
public sealed class WebhooksConsumer(WebhookDispatcher dispatcher) : IPayoutEventConsumer
{
    public string Name => Subscriptions.Webhooks;

    public Task HandleAsync(DeliveredEvent payoutEvent, CancellationToken cancellationToken) => dispatcher.AddDeliveriesAsync(payoutEvent, cancellationToken);
}

public static class WebhookServices
{
    public const string DataProtectionContainer = "data-protection";

    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddOptions<WebhookOptions>()
            .Configure(options =>
            {
                options.AllowPrivateNetworks = environment.IsDevelopment();
                options.AllowHttp = environment.IsDevelopment();
            })
            .Bind(configuration.GetSection(WebhookOptions.Section));
        services.AddSingleton<IWebhookHostResolver, DnsHostResolver>();
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddSingleton<IPayoutEventConsumer, WebhooksConsumer>();

        // The key ring that protects signing secrets, in the app's storage account (not beside the secrets).
        var container = configuration["DataProtection:Container"] ?? DataProtectionContainer;
        services.AddDataProtection().SetApplicationName("PartnerBase.Payouts");
        // The storage client is made on the key ring's first use, not whenever the options are read (every request's
        // authentication reads them).
        services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((options, provider) =>
            options.XmlRepository = new BlobKeyRing(new Lazy<BlobContainerClient>(() =>
            {
                var blobs = provider.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(container);
                if (provider.GetRequiredService<IOptions<DocumentStorageOptions>>().Value.CreateContainer)
                {
                    blobs.CreateIfNotExists();
                }

                return blobs;
            })));

        // One client for every delivery: no redirects, no cookies, a timeout, and a connection that refuses
        // non-public addresses each time it connects.
        services.AddHttpClient(WebhookDispatcher.HttpClientName, (provider, client) =>
            {
                client.Timeout = provider.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout;
                client.DefaultRequestHeaders.UserAgent.ParseAdd("PartnerBase-Webhooks/1.0 (+https://partnerbase.example/webhooks)");
            })
            .ConfigurePrimaryHttpMessageHandler(provider =>
            {
                var resolver = provider.GetRequiredService<IWebhookHostResolver>();
                var allowPrivate = provider.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateNetworks;
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    UseCookies = false,
                    UseProxy = false,
                    AutomaticDecompression = DecompressionMethods.None,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                    ConnectCallback = (context, cancellationToken) => WebhookAddresses.ConnectAsync(resolver, allowPrivate, context.DnsEndPoint, cancellationToken),
                };
            });
        return services;
    }
}
