using Microsoft.Azure.Cosmos;
using PartnerBase.CosmosLocal;
using PartnerBase.Functions.Cosmos;

namespace PartnerBase.Functions.Tests.Storage;

/// <summary>
/// A Cosmos DB endpoint for tests: the local Cosmos-protocol server of tools/cosmos-local, or the account named by
/// COSMOS_TEST_ENDPOINT / COSMOS_TEST_KEY (a real account or the official emulator). Each run gets its own
/// database. Fails with a clear message, never skips.
/// </summary>
public sealed class CosmosServer : IAsyncLifetime
{
    private LocalCosmosServer? _local;

    public string Endpoint { get; private set; } = "";

    public string Key { get; private set; } = LocalCosmosServer.Key;

    public string Database { get; } = "partnerbase-tests-" + Guid.NewGuid().ToString("N")[..8];

    public string ContainerName => "payouts";

    public CosmosRequestCounter Requests { get; } = new();

    public CosmosClient Client { get; private set; } = null!;

    public Container Container { get; private set; } = null!;

    public CosmosOptions Options => new()
    {
        Endpoint = Endpoint,
        Key = Key,
        Database = Database,
        Container = ContainerName,
        DisableServerCertificateValidation = true,
    };

    public async ValueTask InitializeAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable("COSMOS_TEST_ENDPOINT");
        if (string.IsNullOrEmpty(endpoint))
        {
            _local = await LocalCosmosServer.StartAsync();
            Endpoint = _local.Endpoint;
        }
        else
        {
            Endpoint = endpoint;
            Key = Environment.GetEnvironmentVariable("COSMOS_TEST_KEY") ?? throw new InvalidOperationException("COSMOS_TEST_ENDPOINT is set but COSMOS_TEST_KEY is not.");
        }

        Client = CosmosServices.CreateClient(Options, Requests, isDevelopment: true);
        var database = (await Client.CreateDatabaseIfNotExistsAsync(Database)).Database;
        Container = (await database.CreateContainerIfNotExistsAsync(CosmosServices.PayoutsContainer(ContainerName))).Container;
        await database.CreateContainerIfNotExistsAsync(CosmosServices.LeasesContainerProperties());
    }

    public async ValueTask DisposeAsync()
    {
        if (_local is null && Client is not null)
        {
            await Client.GetDatabase(Database).DeleteAsync();
        }

        Client?.Dispose();
        if (_local is not null)
        {
            await _local.DisposeAsync();
        }
    }
}
