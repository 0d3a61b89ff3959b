using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PartnerBase.Functions.Events;

namespace PartnerBase.Functions.Tests.Events;

/// <summary>
/// A local HTTP endpoint standing in for a Service Bus topic's REST API: it checks each request's wire format
/// (learn.microsoft.com/rest/api/servicebus/send-message-batch and message-headers-and-properties) and answers with
/// the next status of a script, accepting messages only on 201 — with duplicate detection by MessageId.
/// </summary>
public sealed class FakeServiceBus : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _script = new();
    private int _defaultStatus = 201;

    private FakeServiceBus(WebApplication app) => _app = app;

    public ConcurrentDictionary<string, AcceptedMessage> Accepted { get; } = new();

    public ConcurrentQueue<string> WireErrors { get; } = new();

    public ConcurrentQueue<int> Answers { get; } = new();

    /// <summary>The MessageId of every request, in arrival order (repeats included).</summary>
    public ConcurrentQueue<string> Arrivals { get; } = new();

    public Uri BaseUri => new(_app.Urls.Single().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal) + "/");

    /// <summary>A SAS connection string for a namespace whose requests this fake receives (with EndpointOverride).</summary>
    public const string ConnectionString = "Endpoint=sb://fake-ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0LWtleS1mb3ItdGVzdHM=";

    public static async Task<FakeServiceBus> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeServiceBus(app);
        app.MapPost("/{topic}/messages", fake.ReceiveAsync);
        await app.StartAsync();
        return fake;
    }

    /// <summary>The statuses to answer, in turn; after them, <paramref name="then"/>.</summary>
    public void Script(IEnumerable<int> statuses, int then = 201)
    {
        foreach (var status in statuses)
        {
            _script.Enqueue(status);
        }

        _defaultStatus = then;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> ReceiveAsync(string topic, HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var errors = Check(topic, request, body, out var messageId);
        foreach (var error in errors)
        {
            WireErrors.Enqueue(error);
        }

        if (messageId is not null)
        {
            Arrivals.Enqueue(messageId);
        }

        var status = errors.Count > 0 ? 400 : _script.TryDequeue(out var next) ? next : _defaultStatus;
        Answers.Enqueue(status);
        if (status == 201)
        {
            // Duplicate detection: a second message with an accepted MessageId is dropped (and still answered 201).
            Accepted.TryAdd(messageId!, new AcceptedMessage(body, request.Headers["BrokerProperties"].ToString(),
                request.Headers["eventType"].ToString(), request.Headers["orgId"].ToString(), request.Headers["partnerId"].ToString()));
        }

        return Results.StatusCode(status);
    }

    private static List<string> Check(string topic, HttpRequest request, string body, out string? messageId)
    {
        var errors = new List<string>();
        messageId = null;
        if (topic != "payout-events")
        {
            errors.Add($"topic {topic}");
        }

        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("SharedAccessSignature sr=", StringComparison.Ordinal)
            || !authorization.Contains("&sig=", StringComparison.Ordinal) || !authorization.Contains("&se=", StringComparison.Ordinal)
            || !authorization.Contains("&skn=send", StringComparison.Ordinal)
            || !authorization.Contains(Uri.EscapeDataString("https://fake-ns.servicebus.windows.net/payout-events"), StringComparison.Ordinal))
        {
            errors.Add($"Authorization '{authorization}'");
        }

        if (request.ContentType?.StartsWith(PayoutCloudEvents.ContentType, StringComparison.Ordinal) != true)
        {
            errors.Add($"Content-Type '{request.ContentType}'");
        }

        try
        {
            using var broker = JsonDocument.Parse(request.Headers["BrokerProperties"].ToString());
            messageId = broker.RootElement.GetProperty("MessageId").GetString();
            foreach (var name in new[] { "SessionId", "CorrelationId", "Label" })
            {
                if (string.IsNullOrEmpty(broker.RootElement.GetProperty(name).GetString()))
                {
                    errors.Add($"BrokerProperties.{name} empty");
                }
            }

            foreach (var header in new[] { "eventType", "orgId", "partnerId" })
            {
                // Custom properties are JSON values: strings arrive in quotes.
                if (JsonSerializer.Deserialize<string>(request.Headers[header].ToString()) is not { Length: > 0 })
                {
                    errors.Add($"{header} header not a JSON string");
                }
            }

            var decoded = PayoutCloudEvents.Decode(Encoding.UTF8.GetBytes(body));
            if (decoded.Id != messageId)
            {
                errors.Add("MessageId is not the CloudEvent id");
            }
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or ArgumentException or InvalidOperationException)
        {
            errors.Add(exception.Message);
        }

        return errors;
    }

    public sealed record AcceptedMessage(string Body, string BrokerProperties, string EventType, string OrgId, string PartnerId);
}
