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

    // Enough for a handful of writers of one document at once (a regeneration racing the timer's).
    private const int WriteAttempts = 16;

    public BlobContainerClient Container { get; } = service.GetBlobContainerClient(ContainerName);

    public async Task WriteAsync(string path, BinaryData content, string contentType, CancellationToken cancellationToken = default)
    {
        var blob = Container.GetBlobClient(path);
        var upload = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } };
        // First as a new document (one request); when one is there, keep it, then write over exactly what was kept,
        // so that of two concurrent writers neither loses the other's document.
        var exists = false;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                upload.Conditions = !options.Value.SnapshotBeforeOverwrite ? null
                    : !exists ? new BlobRequestConditions { IfNoneMatch = ETag.All }
                    : new BlobRequestConditions { IfMatch = (await blob.CreateSnapshotAsync(cancellationToken: cancellationToken)).Value.ETag };
                await blob.UploadAsync(content, upload, cancellationToken);
                return;
            }
            catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound && options.Value.CreateContainer && attempt < WriteAttempts)
            {
                await Container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412 && attempt < WriteAttempts)
            {
                // 409: there is one to keep; 412: it changed after it was kept; 404: it went before it was kept.
                exists = e.Status != 404;
                await Task.Delay(Random.Shared.Next(5, 20 * attempt), cancellationToken);
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
