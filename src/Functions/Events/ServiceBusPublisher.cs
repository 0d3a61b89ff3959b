using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using PartnerBase.Core.Payouts;

namespace PartnerBase.Functions.Events;

public sealed class ServiceBusOptions
{
    public const string Section = "ServiceBus";

    /// <summary><c>&lt;namespace&gt;.servicebus.windows.net</c>; the app signs in with its identity (role Azure Service Bus Data Sender).</summary>
    public string? FullyQualifiedNamespace { get; set; }

    /// <summary>A SAS connection string (Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…), instead of an identity.</summary>
    public string? ConnectionString { get; set; }

    public string TopicName { get; set; } = "payout-events";

    /// <summary>A base URL such as http://127.0.0.1:PORT/ to send to instead of the namespace: tests and local emulation only.</summary>
    public Uri? EndpointOverride { get; set; }

    public bool IsConfigured => !string.IsNullOrEmpty(FullyQualifiedNamespace) || !string.IsNullOrEmpty(ConnectionString);
}

/// <summary>Publishes payout events to the Service Bus topic.</summary>
public interface IPayoutEventPublisher
{
    /// <summary>Sends every event; throws if any could not be sent (sending again is harmless: same MessageId).</summary>
    Task PublishAsync(IReadOnlyList<PayoutEvent> events, CancellationToken cancellationToken);
}

/// <summary>
/// Sends each event as one message through Service Bus's REST API (ARCHITECTURE.md decision 2: the output binding
/// sets only a body, and the Service Bus SDK is not available here). Body: the structured CloudEvent. Broker
/// properties: MessageId = event id (duplicate detection), SessionId and CorrelationId = payout id, Label = type.
/// Application properties eventType, orgId and partnerId, for subscription filters. Through an Azure.Core pipeline:
/// retries on 408/429/5xx and transport errors, and an Entra token for https://servicebus.azure.net or a SAS.
/// Events of one payout go in order, one after the other; different payouts go in parallel.
/// </summary>
public sealed class ServiceBusPublisher : IPayoutEventPublisher
{
    public const string Scope = "https://servicebus.azure.net/.default";
    private const int ParallelPayouts = 8;

    private readonly HttpPipeline _pipeline;
    private readonly Uri _messagesUri;

    public ServiceBusPublisher(ServiceBusOptions options, TokenCredential? credential, ClientOptions? clientOptions = null)
    {
        clientOptions ??= new PublisherClientOptions();
        string? namespaceHost = options.FullyQualifiedNamespace;
        HttpPipelinePolicy authentication;
        if (!string.IsNullOrEmpty(options.ConnectionString))
        {
            var connection = new DbConnectionStringBuilder { ConnectionString = options.ConnectionString };
            namespaceHost = new Uri((string)connection["Endpoint"]).Host;
            var resource = new Uri($"https://{namespaceHost}/{options.TopicName}");
            authentication = new SharedAccessSignaturePolicy(resource, (string)connection["SharedAccessKeyName"], (string)connection["SharedAccessKey"]);
        }
        else
        {
            authentication = new BearerTokenAuthenticationPolicy(
                credential ?? throw new ArgumentNullException(nameof(credential), "Without a connection string the publisher needs a credential."), Scope);
        }

        var baseUri = options.EndpointOverride ?? new Uri($"https://{namespaceHost}/");
        _messagesUri = new Uri(baseUri, $"{Uri.EscapeDataString(options.TopicName)}/messages");
        _pipeline = HttpPipelineBuilder.Build(clientOptions, authentication);
    }

    public async Task PublishAsync(IReadOnlyList<PayoutEvent> events, CancellationToken cancellationToken)
    {
        var streams = events.GroupBy(e => (e.OrgId, e.PayoutId)).Select(g => g.OrderBy(e => e.Sequence).ToList());
        var options = new ParallelOptions { MaxDegreeOfParallelism = ParallelPayouts, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(streams, options, async (stream, token) =>
        {
            foreach (var change in stream)
            {
                await SendAsync(change, token);
            }
        });
    }

    private async Task SendAsync(PayoutEvent change, CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = RequestMethod.Post;
        request.Uri.Reset(_messagesUri);
        var type = PayoutCloudEvents.TypeOf(change);
        request.Headers.Add(HttpHeader.Names.ContentType, PayoutCloudEvents.ContentType + "; charset=utf-8");
        request.Headers.Add("BrokerProperties", JsonSerializer.Serialize(new BrokerProperties(change.Id, change.PayoutId, change.PayoutId, type)));
        // Each application property is a header of its own whose value is JSON: strings in quotes.
        request.Headers.Add("eventType", JsonSerializer.Serialize(type));
        request.Headers.Add("orgId", JsonSerializer.Serialize(change.OrgId));
        request.Headers.Add("partnerId", JsonSerializer.Serialize(change.Payout.PartnerId));
        request.Content = RequestContent.Create(PayoutCloudEvents.Encode(PayoutCloudEvents.ToCloudEvent(change)));
        await _pipeline.SendAsync(message, cancellationToken);
        if (message.Response.Status != 201)
        {
            throw new RequestFailedException(message.Response);
        }
    }

    private sealed record BrokerProperties(string MessageId, string SessionId, string CorrelationId, string Label);

    private sealed class PublisherClientOptions : ClientOptions
    {
        public PublisherClientOptions()
        {
            Retry.Mode = RetryMode.Exponential;
            Retry.MaxRetries = 5;
            Retry.Delay = TimeSpan.FromMilliseconds(500);
            Retry.MaxDelay = TimeSpan.FromSeconds(10);
        }
    }

    /// <summary>
    /// Signs each request with a Service Bus SAS token (learn.microsoft.com/rest/api/eventhub/generate-sas-token).
    /// Written here because no Service Bus package is available to this project.
    /// </summary>
    private sealed class SharedAccessSignaturePolicy(Uri resource, string keyName, string key) : HttpPipelineSynchronousPolicy
    {
        private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

        public override void OnSendingRequest(HttpMessage message)
        {
            var expiry = DateTimeOffset.UtcNow.Add(Lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var audience = Uri.EscapeDataString(resource.ToString().ToLowerInvariant());
            var signature = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes($"{audience}\n{expiry}")));
            message.Request.Headers.SetValue(
                HttpHeader.Names.Authorization,
                $"SharedAccessSignature sr={audience}&sig={Uri.EscapeDataString(signature)}&se={expiry}&skn={Uri.EscapeDataString(keyName)}");
        }
    }
}
