using Azure.Storage.Blobs;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using PartnerBase.Functions.Tests.Storage;
using PartnerBase.Functions.Webhooks;

namespace PartnerBase.Functions.Tests.Webhooks;

/// <summary>The key ring that protects signing secrets, in a blob on Azurite: shared by instances, kept across restarts.</summary>
public sealed class BlobKeyRingTests(AzuriteServer azurite) : IClassFixture<AzuriteServer>
{
    private readonly string _container = "data-protection-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public void SecretProtectedByOneInstance_IsReadByAnother_StartedLater()
    {
        var first = Secrets(out var firstProvider);
        var (secret, stored) = first.Create();
        firstProvider.Dispose();

        var second = Secrets(out var secondProvider);
        using (secondProvider)
        {
            Assert.Equal(Convert.FromBase64String(secret["whsec_".Length..]), second.KeyOf(stored));
        }

        Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        Assert.Single(azurite.Client.GetBlobContainerClient(_container).GetBlobs(cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public void InstancesMakingKeysAtOnce_LoseNone()
    {
        var rings = Enumerable.Range(0, 4).Select(_ => new BlobKeyRing(new Lazy<BlobContainerClient>(Container))).ToList();

        Parallel.ForEach(rings, (ring, _, i) => ring.StoreElement(new System.Xml.Linq.XElement("key", new System.Xml.Linq.XAttribute("id", i)), $"key-{i}"));

        Assert.Equal(["0", "1", "2", "3"], rings[0].GetAllElements().Select(e => e.Attribute("id")!.Value).Order(StringComparer.Ordinal));
    }

    private BlobContainerClient Container()
    {
        var container = azurite.Client.GetBlobContainerClient(_container);
        container.CreateIfNotExists();
        return container;
    }

    private WebhookSecrets Secrets(out ServiceProvider provider)
    {
        var services = new ServiceCollection();
        services.AddDataProtection().SetApplicationName("PartnerBase.Payouts");
        services.Configure<KeyManagementOptions>(options => options.XmlRepository = new BlobKeyRing(new Lazy<BlobContainerClient>(Container)));
        provider = services.BuildServiceProvider();
        return new WebhookSecrets(provider.GetRequiredService<IDataProtectionProvider>());
    }
}
