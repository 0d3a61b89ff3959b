using PartnerBase.LocalServers;

namespace PartnerBase.CosmosLocal;

/// <summary>
/// Starts tools/cosmos-local (a Cosmos DB-protocol server on a free loopback port, see its README) and stops it on
/// dispose. Linked into the test and benchmark projects; fails with a clear message, never silently.
/// </summary>
public sealed class LocalCosmosServer : IAsyncDisposable
{
    /// <summary>The server does not check keys; any base-64 string does. This is the public emulator key.</summary>
    public const string Key = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

    private readonly LocalNodeServer _node;

    private LocalCosmosServer(LocalNodeServer node) => _node = node;

    public string Endpoint => _node.ReadyValue;

    public static async Task<LocalCosmosServer> StartAsync() => new(await LocalNodeServer.StartAsync("cosmos-local", "COSMOS_ENDPOINT="));

    public static string RepositoryRoot() => LocalNodeServer.RepositoryRoot();

    public ValueTask DisposeAsync() => _node.DisposeAsync();
}
