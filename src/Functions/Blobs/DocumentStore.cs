using Azure;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Options;

namespace PartnerBase.Functions.Blobs;

/// <summary>
/// Where the app keeps its documents (CONTRACT §10): the app's own storage account, <c>AzureWebJobsStorage</c> — a
/// connection string (<c>UseDevelopmentStorage=true</c> for Azurite, the Development default) or, in Azure, the
/// account by name (<c>AzureWebJobsStorage__accountName</c>) or blob endpoint (<c>__blobServiceUri</c>) with the app's
/// identity.
/// </summary>
public sealed class DocumentStorageOptions
{
    public const string Section = "AzureWebJobsStorage";

    public string? ConnectionString { get; set; }

    public Uri? BlobServiceUri { get; set; }

    /// <summary>
    /// Whether a blob about to be overwritten is first kept as a snapshot. On (the default) where the account has no
    /// blob versioning — Azurite has none; off in Azure, where the container's versioning keeps every earlier version.
    /// </summary>
    public bool SnapshotBeforeOverwrite { get; set; } = true;

    /// <summary>Whether the container is created on first use (Development); in Azure, Bicep creates it.</summary>
    public bool CreateContainer { get; set; }

    public bool IsConfigured => !string.IsNullOrEmpty(ConnectionString) || BlobServiceUri is not null;

    public static DocumentStorageOptions From(IConfiguration configuration, bool isDevelopment)
    {
        var storage = configuration.GetSection(Section);
        var documents = configuration.GetSection("Documents");
        var accountName = storage["accountName"];
        return new DocumentStorageOptions
        {
            ConnectionString = !string.IsNullOrEmpty(storage.Value) ? storage.Value
                : isDevelopment && accountName is null && storage["blobServiceUri"] is null ? "UseDevelopmentStorage=true"
                : null,
            BlobServiceUri = storage["blobServiceUri"] is { Length: > 0 } uri ? new Uri(uri)
                : accountName is { Length: > 0 } ? new Uri($"https://{accountName}.blob.core.windows.net")
                : null,
            SnapshotBeforeOverwrite = documents.GetValue("SnapshotBeforeOverwrite", true),
            CreateContainer = documents.GetValue("CreateContainer", isDevelopment),
        };
    }
}

public static class DocumentServices
{
    public static IServiceCollection AddDocuments(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var options = DocumentStorageOptions.From(configuration, environment.IsDevelopment());
        services.AddOptions<DocumentStorageOptions>()
            .Configure(o =>
            {
                o.ConnectionString = options.ConnectionString;
                o.BlobServiceUri = options.BlobServiceUri;
                o.SnapshotBeforeOverwrite = options.SnapshotBeforeOverwrite;
                o.CreateContainer = options.CreateContainer;
            })
            .Validate(o => o.IsConfigured, "AzureWebJobsStorage (a connection string) or AzureWebJobsStorage__accountName / __blobServiceUri must be set: statements and reconciliation reports are kept in its blob container 'documents'.")
            .ValidateOnStart();
        services.AddAzureClients(clients =>
        {
            // One client for the app, made from the validated options; its connections are pooled.
            clients.AddClient<BlobServiceClient, BlobClientOptions>((clientOptions, credential, provider) =>
            {
                var storage = provider.GetRequiredService<IOptions<DocumentStorageOptions>>().Value;
                return string.IsNullOrEmpty(storage.ConnectionString)
                    ? new BlobServiceClient(storage.BlobServiceUri, credential, clientOptions)
                    : new BlobServiceClient(storage.ConnectionString, clientOptions);
            });
            clients.UseCredential(new DefaultAzureCredential());
        });
        services.AddSingleton<DocumentStore>();
        return services;
    }
}

/// <summary>A document as stored: its content and media type.</summary>
public sealed record StoredDocument(BinaryData Content, string ContentType);

/// <summary>
/// The blob container <c>documents</c>. Writing a path that holds a document keeps the earlier one: as a blob version
/// in Azure (versioning on the container), or as a snapshot taken first where the account has no versioning.
/// </summary>
public sealed class DocumentStore(BlobServiceClient service, IOptions<DocumentStorageOptions> options)
{
    public const string ContainerName = "documents";

    private const int WriteAttempts = 5;

    public BlobContainerClient Container { get; } = service.GetBlobContainerClient(ContainerName);

    public async Task WriteAsync(string path, BinaryData content, string contentType, CancellationToken cancellationToken = default)
    {
        var blob = Container.GetBlobClient(path);
        for (var attempt = 1; ; attempt++)
        {
            // Conditional on the state that was kept, so that of two concurrent writers neither loses the other's document.
            BlobRequestConditions? conditions = null;
            if (options.Value.SnapshotBeforeOverwrite)
            {
                try
                {
                    var snapshot = await blob.CreateSnapshotAsync(cancellationToken: cancellationToken);
                    conditions = new BlobRequestConditions { IfMatch = snapshot.Value.ETag };
                }
                catch (RequestFailedException e) when (e.Status == 404)
                {
                    // Nothing to keep yet (or no container yet: created below).
                    conditions = new BlobRequestConditions { IfNoneMatch = ETag.All };
                }
            }

            try
            {
                await blob.UploadAsync(content, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType }, Conditions = conditions }, cancellationToken);
                return;
            }
            catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound && options.Value.CreateContainer && attempt < WriteAttempts)
            {
                await Container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < WriteAttempts)
            {
                // Another writer got there first: keep theirs, then write over it.
            }
        }
    }

    /// <summary>The document at <paramref name="path"/> as it is now, or null.</summary>
    public async Task<StoredDocument?> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            var result = (await Container.GetBlobClient(path).DownloadContentAsync(cancellationToken)).Value;
            return new StoredDocument(result.Content, result.Details.ContentType);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The earlier contents of <paramref name="path"/> kept by overwrites (snapshots and versions), oldest first.</summary>
    public async Task<IReadOnlyList<BinaryData>> ReadEarlierAsync(string path, CancellationToken cancellationToken = default)
    {
        var earlier = new List<(DateTimeOffset At, BinaryData Content)>();
        await foreach (var item in Container.GetBlobsAsync(BlobTraits.None, BlobStates.Snapshots | BlobStates.Version, path, cancellationToken))
        {
            if (item.Name != path || item.IsLatestVersion == true || (item.Snapshot is null && item.VersionId is null))
            {
                continue;
            }

            var client = Container.GetBlobClient(path);
            client = item.Snapshot is not null ? client.WithSnapshot(item.Snapshot) : client.WithVersion(item.VersionId);
            var at = item.Snapshot is not null ? DateTimeOffset.Parse(item.Snapshot, System.Globalization.CultureInfo.InvariantCulture) : item.Properties.LastModified ?? default;
            earlier.Add((at, (await client.DownloadContentAsync(cancellationToken)).Value.Content));
        }

        return earlier.OrderBy(e => e.At).Select(e => e.Content).ToList();
    }
}
