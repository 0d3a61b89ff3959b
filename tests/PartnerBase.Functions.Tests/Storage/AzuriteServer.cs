using Azure.Storage.Blobs;
using PartnerBase.Azurite;

namespace PartnerBase.Functions.Tests.Storage;

/// <summary>
/// Azurite's blob service (tools/azurite, in memory) on a free port for the tests. Tests keep apart by their own
/// host ids or containers. Fails with a clear message, never skips.
/// </summary>
public sealed class AzuriteServer : IAsyncLifetime
{
    private LocalAzurite? _azurite;

    public string ConnectionString => _azurite?.ConnectionString ?? throw new InvalidOperationException("Azurite has not started.");

    public BlobServiceClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        try
        {
            _azurite = await LocalAzurite.StartAsync();
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"Azurite (tools/azurite, npm 'azurite') could not be started; these tests need it: {e.Message}", e);
        }

        Client = new BlobServiceClient(ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}
