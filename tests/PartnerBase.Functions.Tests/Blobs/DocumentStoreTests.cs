using Microsoft.Extensions.Options;
using PartnerBase.Functions.Blobs;
using PartnerBase.Functions.Tests.Storage;

namespace PartnerBase.Functions.Tests.Blobs;

/// <summary>The documents container on Azurite: an overwrite keeps the earlier document, also under concurrent writers.</summary>
public sealed class DocumentStoreTests(AzuriteServer azurite) : IClassFixture<AzuriteServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _path = $"tests/{Guid.NewGuid():N}/doc.json";

    [Fact]
    public async Task Write_Twice_ReadsTheLatest_AndKeepsTheEarlier()
    {
        var documents = Store(snapshots: true);

        await documents.WriteAsync(_path, BinaryData.FromString("first"), "application/json", Ct);
        await documents.WriteAsync(_path, BinaryData.FromString("second"), "application/json", Ct);

        var latest = await documents.ReadAsync(_path, Ct);
        Assert.Equal(("second", "application/json"), (latest!.Content.ToString(), latest.ContentType));
        Assert.Equal(["first"], (await documents.ReadEarlierAsync(_path, Ct)).Select(d => d.ToString()));
        Assert.Null(await documents.ReadAsync(_path + ".missing", Ct));
    }

    [Fact]
    public async Task ConcurrentWriters_LoseNoDocument()
    {
        var documents = Store(snapshots: true);
        var written = Enumerable.Range(0, 8).Select(i => $"version {i}").ToList();

        await Task.WhenAll(written.Select(text => documents.WriteAsync(_path, BinaryData.FromString(text), "text/plain", Ct)));

        var kept = (await documents.ReadEarlierAsync(_path, Ct)).Select(d => d.ToString()).Append((await documents.ReadAsync(_path, Ct))!.Content.ToString());
        Assert.Equal(written.Order(StringComparer.Ordinal), kept.Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task WithoutSnapshots_AnOverwriteReplaces()
    {
        var documents = Store(snapshots: false);

        await documents.WriteAsync(_path, BinaryData.FromString("first"), "text/plain", Ct);
        await documents.WriteAsync(_path, BinaryData.FromString("second"), "text/plain", Ct);

        Assert.Equal("second", (await documents.ReadAsync(_path, Ct))!.Content.ToString());
        Assert.Empty(await documents.ReadEarlierAsync(_path, Ct));
    }

    private DocumentStore Store(bool snapshots) =>
        new(azurite.Client, Options.Create(new DocumentStorageOptions { ConnectionString = azurite.ConnectionString, SnapshotBeforeOverwrite = snapshots, CreateContainer = true }));
}
