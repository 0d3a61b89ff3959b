using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandardWebhooks;

namespace PartnerBase.Functions.Tests.Webhooks;

/// <summary>What a receiver got: the webhook headers and the body exactly as sent.</summary>
public sealed record ReceivedWebhook(string Id, string Timestamp, string Signature, string? ContentType, string? UserAgent, string Body, DateTimeOffset At, string Cookie = "")
{
    /// <summary>
    /// The Standard Webhooks check written from the specification's text, independent of the library: the signed
    /// content is <c>id.timestamp.body</c>, the key is the base64 after <c>whsec_</c>, the signature is
    /// <c>v1,</c> + base64 of its HMAC-SHA256; the header may hold several, space-separated.
    /// </summary>
    public bool SignedWith(string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{Id}.{Timestamp}.{Body}")));
        return Signature.Split(' ').Any(s => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(s), Encoding.UTF8.GetBytes(expected)));
    }

    /// <summary>
    /// The library's check (signature and timestamp tolerance against the real clock), of each signature of the
    /// header on its own: StandardWebhooks 1.1.2 reads only the first of several space-separated signatures (its
    /// loop stops when the rest holds no further space), so a receiver still on the previous secret would fail it.
    /// </summary>
    public bool VerifiedByLibrary(string secret) => Signature.Split(' ').Any(signature =>
    {
        var headers = new Microsoft.AspNetCore.Http.HeaderDictionary
        {
            ["webhook-id"] = Id,
            ["webhook-timestamp"] = Timestamp,
            ["webhook-signature"] = signature,
        };
        try
        {
            new StandardWebhook(secret).Verify(Body, headers);
            return true;
        }
        catch (StandardWebhooks.Diagnostics.WebhookVerificationException)
        {
            return false;
        }
    });
}

/// <summary>
/// A webhook receiver on 127.0.0.1 (Kestrel): records every request and answers as <see cref="Respond"/> says
/// (200 by default), given how many requests came before this one.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _count;
    private int _concurrent;

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>The answer to the n-th request (0-based): its status code, and headers to add.</summary>
    public Func<int, Microsoft.AspNetCore.Http.HttpResponse, Task<int>> Respond { get; set; } = (_, _) => Task.FromResult(200);

    /// <summary>The most requests this receiver had under way at once.</summary>
    public int MaxConcurrent { get; private set; }

    public string Url { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/{**path}", async context =>
        {
            var concurrent = Interlocked.Increment(ref receiver._concurrent);
            lock (receiver)
            {
                receiver.MaxConcurrent = Math.Max(receiver.MaxConcurrent, concurrent);
            }

            try
            {
                using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                var headers = context.Request.Headers;
                receiver.Received.Enqueue(new ReceivedWebhook(
                    headers["webhook-id"].ToString(), headers["webhook-timestamp"].ToString(), headers["webhook-signature"].ToString(),
                    context.Request.ContentType, headers.UserAgent.ToString(), body, DateTimeOffset.UtcNow, headers.Cookie.ToString()));
                context.Response.StatusCode = await receiver.Respond(Interlocked.Increment(ref receiver._count) - 1, context.Response);
            }
            finally
            {
                Interlocked.Decrement(ref receiver._concurrent);
            }
        });
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/hook";
        return receiver;
    }

    /// <summary>Waits (in real time) until the receiver got <paramref name="count"/> requests.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (Received.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The receiver got {Received.Count} requests, not {count}.");
            }

            await Task.Delay(50);
        }

        return Received.ToList();
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
