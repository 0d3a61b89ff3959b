using System.Security.Cryptography;
using System.Xml.Linq;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace PartnerBase.Functions.Webhooks;

/// <summary>
/// Signing secrets (CONTRACT §11): <c>whsec_</c> + base64 of 32 random bytes, shown once, stored only as ASP.NET Core
/// Data Protection protected them. The keys that unprotect them live in the app's storage account (see
/// <see cref="BlobKeyRing"/>), not in Cosmos DB: a reader of the database alone cannot sign.
/// </summary>
public sealed class WebhookSecrets(IDataProtectionProvider provider)
{
    public const string Prefix = "whsec_";
    private const int KeyBytes = 32;

    private readonly IDataProtector _protector = provider.CreateProtector("PartnerBase.Webhooks.SigningSecret.v1");

    /// <summary>A new secret: what to show the caller once, and what to store.</summary>
    public (string Secret, string Protected) Create()
    {
        var secret = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes));
        return (secret, _protector.Protect(secret));
    }

    /// <summary>The HMAC key of a stored secret.</summary>
    public byte[] KeyOf(string protectedSecret) => Convert.FromBase64String(_protector.Unprotect(protectedSecret)[Prefix.Length..]);
}

/// <summary>
/// Data Protection's key ring as one XML blob in the app's storage account, written with ETag preconditions so that
/// instances adding keys at once lose none. Hand-written because the package that does this
/// (Azure.Extensions.AspNetCore.DataProtection.Blobs) is not served to this build.
/// </summary>
public sealed class BlobKeyRing(Lazy<BlobContainerClient> container) : IXmlRepository
{
    private const string BlobName = "keys.xml";

    public IReadOnlyCollection<XElement> GetAllElements() => Read().Root.Elements().ToList();

    public void StoreElement(XElement element, string friendlyName)
    {
        while (true)
        {
            var (root, etag) = Read();
            root.Add(element);
            var conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : new BlobRequestConditions { IfNoneMatch = ETag.All };
            try
            {
                container.Value.GetBlobClient(BlobName).Upload(BinaryData.FromString(root.ToString(SaveOptions.DisableFormatting)), new BlobUploadOptions { Conditions = conditions });
                return;
            }
            catch (RequestFailedException exception) when (exception.Status is 409 or 412)
            {
                // Another instance wrote first: read its keys and add ours again.
            }
        }
    }

    private (XElement Root, ETag? ETag) Read()
    {
        try
        {
            var content = container.Value.GetBlobClient(BlobName).DownloadContent().Value;
            return (XElement.Parse(content.Content.ToString()), content.Details.ETag);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return (new XElement("repository"), null);
        }
    }
}
