using System.ComponentModel.DataAnnotations;
using Microsoft.Azure.Cosmos;

namespace PartnerBase.Functions.Cosmos;

public enum StorageProvider
{
    Memory,
    Cosmos,
}

public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary><c>memory</c> (the embedded default) or <c>cosmos</c>.</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Memory;
}

public sealed class CosmosOptions
{
    public const string Section = "Cosmos";

    /// <summary>The account endpoint, e.g. https://myaccount.documents.azure.com:443/.</summary>
    [Required]
    [Url]
    public string? Endpoint { get; set; }

    /// <summary>An account key. Without one the app signs in with DefaultAzureCredential (its managed identity in Azure).</summary>
    public string? Key { get; set; }

    [Required]
    public string Database { get; set; } = "partnerbase";

    [Required]
    public string Container { get; set; } = "payouts";

    /// <summary>Create the database and containers at start (development; production infrastructure creates them).</summary>
    public bool CreateIfMissing { get; set; }

    /// <summary>Accept a local emulator's self-signed certificate. Honoured only in Development.</summary>
    public bool DisableServerCertificateValidation { get; set; }

    /// <summary>Gateway (HTTPS; the default, and what request counting sees) or Direct (TCP).</summary>
    public ConnectionMode ConnectionMode { get; set; } = ConnectionMode.Gateway;
}
