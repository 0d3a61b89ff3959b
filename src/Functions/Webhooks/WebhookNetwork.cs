using System.Net;
using System.Net.Sockets;

namespace PartnerBase.Functions.Webhooks;

/// <summary>Looks up a host's addresses; a seam so that tests can answer as a rebinding DNS server would.</summary>
public interface IWebhookHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

public sealed class DnsHostResolver : IWebhookHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>
/// Which addresses a webhook may connect to (CONTRACT §11, OWASP API7 — server-side request forgery): none of
/// loopback, private (RFC 1918, ULA), link-local (cloud metadata at 169.254.169.254 among them), shared (CGNAT),
/// multicast, unspecified, documentation or reserved ranges; an IPv4-mapped IPv6 address is judged as its IPv4.
/// </summary>
public static class WebhookAddresses
{
    private static readonly IPNetwork[] NonPublic = new[]
    {
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/96", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16",
        "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    }.Select(IPNetwork.Parse).ToArray();

    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return !NonPublic.Any(network => network.Contains(address));
    }

    /// <summary>
    /// A first check when a URL is saved, for a clear answer: whether the host (a name or an address) reaches only
    /// public addresses; a name that does not resolve yet passes. What protects is the check on every connection.
    /// </summary>
    public static async Task<bool> ResolvesPubliclyAsync(IWebhookHostResolver resolver, string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return IsPublic(literal);
        }

        try
        {
            return (await resolver.ResolveAsync(host, cancellationToken)).All(IsPublic);
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>
    /// The connection of the webhook client: resolves the host itself and connects only to a public address of it
    /// (unless <paramref name="allowPrivateNetworks"/>), so that a DNS answer that changed since the URL was saved —
    /// or a redirect, which the client does not follow anyway — cannot reach the internal network.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(
        IWebhookHostResolver resolver, bool allowPrivateNetworks, DnsEndPoint endPoint, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endPoint.Host, out var literal) ? [literal] : await resolver.ResolveAsync(endPoint.Host, cancellationToken);
        var allowed = addresses.Where(a => allowPrivateNetworks || IsPublic(a)).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException(addresses.Length == 0
                ? $"'{endPoint.Host}' did not resolve."
                : $"Refused: '{endPoint.Host}' resolves to a non-public address ({addresses[0]}).");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
