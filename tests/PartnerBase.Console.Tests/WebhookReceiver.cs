using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PartnerBase.Console.Tests;

/// <summary>A request the receiver got: the Standard Webhooks headers and the body exactly as sent.</summary>
public sealed record ReceivedWebhook(string Id, string Timestamp, string Signature, string? ContentType, string Body)
{
    /// <summary>
    /// The Standard Webhooks check, from the specification's text: <c>v1,</c> + base64 of the HMAC-SHA256 of
    /// <c>id.timestamp.body</c> with the base64 key after <c>whsec_</c>; the header may hold several, space-separated.
    /// </summary>
    public bool SignedWith(string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{Id}.{Timestamp}.{Body}")));
        return Signature.Split(' ').Contains(expected, StringComparer.Ordinal);
    }
}

/// <summary>
/// A webhook receiver on 127.0.0.1 and a free port (Kestrel) that records every request and answers
/// <see cref="StatusCode"/>; the worker in Development may send to it (http, a private address).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>What the receiver answers from now on: 200 unless a test wants a failure.</summary>
    public int StatusCode { get; set; } = StatusCodes.Status200OK;

    public string Url => _app.Urls.Single() + "/hooks/payouts";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Run(receiver.ReceiveAsync);
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Waits (up to 30 s) until the receiver has had <paramref name="count"/> requests.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Received.Count < count)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"The receiver got {Received.Count} requests in 30 s, not {count}.");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        return [.. Received];
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers;
        Received.Enqueue(new ReceivedWebhook(headers["webhook-id"].ToString(), headers["webhook-timestamp"].ToString(), headers["webhook-signature"].ToString(), context.Request.ContentType, body));
        context.Response.StatusCode = StatusCode;
    }
}
