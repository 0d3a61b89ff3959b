using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using PartnerBase.Core;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Core.Webhooks;
using PartnerBase.Functions.Events;
using PartnerBase.Functions.Notifications;
using PartnerBase.Functions.Webhooks;

namespace PartnerBase.Functions.Tests.Webhooks;

/// <summary>
/// The connect-time address check (CONTRACT §11, SSRF): the app's own webhook HTTP client, with a resolver that
/// answers as a hostile DNS server would.
/// </summary>
public sealed class WebhookAddressTests : IAsyncDisposable
{
    private readonly FakeResolver _resolver = new();
    private readonly List<ServiceProvider> _providers = [];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static TheoryData<string> NonPublic => new()
    {
        "127.0.0.1", "10.0.0.1", "10.255.255.254", "172.16.0.1", "172.31.255.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "224.0.0.1", "::1", "fd00::1", "fe80::1", "ff02::1", "::", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
    };

    [Theory]
    [MemberData(nameof(NonPublic))]
    public async Task NonPublicAddress_IsRefusedAtConnectTime_ByNameAndAsALiteral(string address)
    {
        using var listener = Listen();
        var client = Client(allowPrivateNetworks: false);
        _resolver.Answer = [IPAddress.Parse(address)];

        var byName = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync("http://hooks.example.test/hook", null, Cancellation));
        var literal = IPAddress.Parse(address).AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address;
        var byLiteral = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync($"http://{literal}:{Port(listener)}/hook", null, Cancellation));

        Assert.Contains("non-public", byName.Message, StringComparison.Ordinal);
        Assert.Contains("non-public", byLiteral.Message, StringComparison.Ordinal);
        Assert.Equal(["hooks.example.test"], _resolver.Asked);
        Assert.False(listener.Pending());
        Assert.False(WebhookAddresses.IsPublic(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void PublicAddress_IsAllowed(string address) => Assert.True(WebhookAddresses.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task AllowPrivateNetworks_LetsALocalReceiverBeReached()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var client = Client(allowPrivateNetworks: true);
        _resolver.Answer = [IPAddress.Loopback];

        using var response = await client.PostAsync(new Uri(receiver.Url).ToString().Replace("127.0.0.1", "hooks.example.test", StringComparison.Ordinal), null, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task ClientFollowsNoRedirect_AndSendsNoCookie()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, response) =>
        {
            response.Headers.Location = "http://169.254.169.254/latest/meta-data/";
            response.Headers.SetCookie = "session=1";
            return Task.FromResult(302);
        };
        var client = Client(allowPrivateNetworks: true);

        using var first = await client.PostAsync(receiver.Url, null, Cancellation);
        using var second = await client.PostAsync(receiver.Url, null, Cancellation);

        Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        Assert.Equal(2, receiver.Received.Count);
        Assert.All(receiver.Received, r => Assert.Equal("", r.Cookie));
        Assert.Equal(TimeSpan.FromSeconds(15), client.Timeout);
    }

    [Fact]
    public async Task NameThatRebindsToAPrivateAddressAfterItWasSaved_IsRefusedWhenDelivering()
    {
        using var listener = Listen();
        _resolver.Answer = [IPAddress.Parse("93.184.215.14")];
        Assert.True(await WebhookAddresses.ResolvesPubliclyAsync(_resolver, "rebind.example.test", Cancellation));   // as saved
        Assert.False(await WebhookAddresses.ResolvesPubliclyAsync(_resolver, "10.1.2.3", Cancellation));
        var services = Services(allowPrivateNetworks: false);
        var store = services.GetRequiredService<IPayoutStore>();
        var secrets = services.GetRequiredService<WebhookSecrets>();
        var now = DateTimeOffset.UtcNow;
        var endpoint = new WebhookEndpoint("org_rebind", "we_rebind", $"https://rebind.example.test:{Port(listener)}/hook", ["*"], null, WebhookEndpointStatus.Enabled, null, secrets.Create().Protected, null, null, null, now, now, 1);
        await store.TrySaveWebhookEndpointAsync(endpoint, Cancellation);
        var draft = new PayoutDraft("po_rebind", "org_rebind", "acme", new Money(100, Currency.Parse("USD")), Period.Month(2026, 11), null, null);
        var dispatcher = services.GetRequiredService<WebhookDispatcher>();
        await dispatcher.AddDeliveriesAsync(PayoutCloudEvents.Decode(PayoutCloudEvents.Encode(PayoutCloudEvents.ToCloudEvent(Payout.Create(draft, Actor.User("u1"), now)))), Cancellation);

        _resolver.Answer = [IPAddress.Loopback];   // the answer changed
        await dispatcher.SendDueAsync(TimeSpan.FromSeconds(10), Task.CompletedTask, Cancellation);

        var delivery = Assert.Single((await store.ListWebhookDeliveriesAsync("org_rebind", "we_rebind", new PageRequest(5), Cancellation)).Items);
        var attempt = Assert.Single(delivery.Attempts);
        Assert.Null(attempt.StatusCode);
        Assert.Contains("non-public", attempt.Error, StringComparison.Ordinal);
        Assert.Equal(WebhookDeliveryStatus.Pending, delivery.Status);
        Assert.False(listener.Pending());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
    }

    private static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    private HttpClient Client(bool allowPrivateNetworks) =>
        Services(allowPrivateNetworks).GetRequiredService<IHttpClientFactory>().CreateClient(WebhookDispatcher.HttpClientName);

    private ServiceProvider Services(bool allowPrivateNetworks)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IPayoutStore>(new InMemoryPayoutStore(TimeProvider.System));
        services.AddSingleton<IEmailSender>(new NoEmail());
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = allowPrivateNetworks ? "true" : "false" }).Build();
        services.AddWebhooks(configuration, new HostingEnvironment { EnvironmentName = "Production" });
        services.AddSingleton<IWebhookHostResolver>(_resolver);
        services.AddSingleton(new WebhookSecrets(new EphemeralDataProtectionProvider()));
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider;
    }

    private sealed class FakeResolver : IWebhookHostResolver
    {
        public IPAddress[] Answer { get; set; } = [];

        public List<string> Asked { get; } = [];

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            lock (Asked)
            {
                Asked.Add(host);
            }

            return Task.FromResult(Answer);
        }
    }

    private sealed class NoEmail : IEmailSender
    {
        public Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}
