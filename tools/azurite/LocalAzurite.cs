using PartnerBase.LocalServers;

namespace PartnerBase.Azurite;

/// <summary>
/// Starts Azurite's blob service (tools/azurite, in memory) and stops it on dispose. Compiled into the local Functions
/// host, which starts it for <c>UseDevelopmentStorage=true</c>; tests start it on a free port. Fails with a clear
/// message, never silently.
/// </summary>
public sealed class LocalAzurite : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account, as in <c>UseDevelopmentStorage=true</c>.</summary>
    public const string AccountName = "devstoreaccount1";

    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>The port of <c>UseDevelopmentStorage=true</c>'s blob endpoint.</summary>
    public const int DevelopmentBlobPort = 10000;

    private readonly LocalNodeServer _node;

    private LocalAzurite(LocalNodeServer node) => _node = node;

    /// <summary>E.g. <c>http://127.0.0.1:41234/devstoreaccount1</c>.</summary>
    public Uri BlobEndpoint => new(_node.ReadyValue);

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={BlobEndpoint};";

    /// <param name="port">0: any free port.</param>
    public static async Task<LocalAzurite> StartAsync(int port = 0) =>
        new(await LocalNodeServer.StartAsync("azurite", "AZURITE_BLOB_ENDPOINT=", $"--port {port}"));

    public ValueTask DisposeAsync() => _node.DisposeAsync();
}
