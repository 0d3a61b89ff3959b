using Azure.Identity;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;
using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Cosmos;

public static class CosmosServices
{
    public const string LeasesContainer = "leases";

    /// <summary>The store on Cosmos DB: one CosmosClient for the process, options validated at start.</summary>
    public static IServiceCollection AddCosmosStore(this IServiceCollection services, IHostEnvironment environment)
    {
        services.AddOptions<CosmosOptions>().BindConfiguration(CosmosOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<CosmosRequestCounter>();
        services.AddSingleton(provider => CreateClient(
            provider.GetRequiredService<IOptions<CosmosOptions>>().Value,
            provider.GetRequiredService<CosmosRequestCounter>(),
            environment.IsDevelopment()));
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<CosmosOptions>>().Value;
            return provider.GetRequiredService<CosmosClient>().GetContainer(options.Database, options.Container);
        });
        services.AddSingleton<CosmosPayoutStore>();
        services.AddSingleton<IPayoutStore>(provider => provider.GetRequiredService<CosmosPayoutStore>());
        services.AddHostedService<CosmosSetup>();
        return services;
    }

    public static CosmosClient CreateClient(CosmosOptions options, CosmosRequestCounter counter, bool isDevelopment)
    {
        var local = options.DisableServerCertificateValidation && isDevelopment;
        counter.InnerHandler ??= new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
#pragma warning disable CA5359 // Only for a local emulator's self-signed certificate, and only in Development.
            SslOptions = local ? new() { RemoteCertificateValidationCallback = (_, _, _, _) => true } : new(),
#pragma warning restore CA5359
        };
        var clientOptions = new CosmosClientOptions
        {
            ApplicationName = "PartnerBase.Payouts",
            ConnectionMode = options.ConnectionMode,
            HttpClientFactory = () => new HttpClient(counter, disposeHandler: false),
            // A local emulator advertises addresses that are not reachable from here; talk to the endpoint only.
            LimitToEndpoint = local,
        };
        return string.IsNullOrEmpty(options.Key)
            ? new CosmosClient(options.Endpoint, new DefaultAzureCredential(), clientOptions)
            : new CosmosClient(options.Endpoint, options.Key, clientOptions);
    }

    /// <summary>The payouts container's properties: partition key, TTL on (per document), a lean index.</summary>
    public static ContainerProperties PayoutsContainer(string name) => new(name, "/orgId")
    {
        // -1: TTL is on but nothing expires unless a document sets "ttl" (idempotency records do).
        DefaultTimeToLive = -1,
        IndexingPolicy = new IndexingPolicy
        {
            IndexingMode = IndexingMode.Consistent,
            IncludedPaths = { new IncludedPath { Path = "/*" } },
            // The whole domain objects are stored beside their queried fields; indexing them is pure RU cost.
            ExcludedPaths =
            {
                new ExcludedPath { Path = "/payout/*" },
                new ExcludedPath { Path = "/event/*" },
                new ExcludedPath { Path = "/partner/*" },
                new ExcludedPath { Path = "/settings/*" },
                new ExcludedPath { Path = "/record/*" },
                new ExcludedPath { Path = "/statement/*" },
                new ExcludedPath { Path = "/reconciliation/*" },
                new ExcludedPath { Path = "/transfer/*" },
                new ExcludedPath { Path = "/endpoint/*" },
                new ExcludedPath { Path = "/delivery/*" },
                new ExcludedPath { Path = "/\"_etag\"/?" },
            },
        },
    };

    /// <summary>The leases container's properties: the event log readers' checkpoints, one document per reader (id = partition key).</summary>
    public static ContainerProperties LeasesContainerProperties() => new(LeasesContainer, "/id");

    /// <summary>Creates the database and containers when <see cref="CosmosOptions.CreateIfMissing"/> is set.</summary>
    private sealed class CosmosSetup(CosmosClient client, IOptions<CosmosOptions> options) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            if (!options.Value.CreateIfMissing)
            {
                return;
            }

            var database = (await client.CreateDatabaseIfNotExistsAsync(options.Value.Database, cancellationToken: cancellationToken)).Database;
            await database.CreateContainerIfNotExistsAsync(PayoutsContainer(options.Value.Container), cancellationToken: cancellationToken);
            await database.CreateContainerIfNotExistsAsync(LeasesContainerProperties(), cancellationToken: cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
