using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Options;

namespace PartnerBase.Functions.Events;

public sealed class ServiceBusOptions
{
    public const string Section = "ServiceBus";

    /// <summary>e.g. partnerbase.servicebus.windows.net: signs in with DefaultAzureCredential (the app's managed identity).</summary>
    public string? FullyQualifiedNamespace { get; set; }

    /// <summary>A SAS connection string, for development against a namespace that allows keys.</summary>
    public string? ConnectionString { get; set; }

    public string TopicName { get; set; } = "payout-events";

    public bool IsConfigured => !string.IsNullOrEmpty(FullyQualifiedNamespace) || !string.IsNullOrEmpty(ConnectionString);
}

/// <summary>The topic on Azure Service Bus, through the SDK's one <see cref="ServiceBusClient"/> of the app.</summary>
public sealed class ServiceBusTopic(ServiceBusClient client, IOptions<ServiceBusOptions> options) : IEventTopic, IAsyncDisposable
{
    // How long a receive waits for more of a session's messages once it has handed out what it had: a session
    // holds one payout's few events, so waiting long only delays the next session.
    private static readonly TimeSpan ReceiveWait = TimeSpan.FromMilliseconds(200);

    private readonly ServiceBusSender _sender = client.CreateSender(options.Value.TopicName);
    private readonly string _topic = options.Value.TopicName;

    public async Task SendAsync(IReadOnlyList<ServiceBusMessage> messages, CancellationToken cancellationToken)
    {
        var next = 0;
        while (next < messages.Count)
        {
            using var batch = await _sender.CreateMessageBatchAsync(cancellationToken);
            while (next < messages.Count && batch.TryAddMessage(messages[next]))
            {
                next++;
            }

            if (batch.Count == 0)
            {
                throw new InvalidOperationException($"Message {messages[next].MessageId} is larger than a batch may be ({batch.MaxSizeInBytes} bytes).");
            }

            await _sender.SendMessagesAsync(batch, cancellationToken);
        }
    }

    public async Task<IEventSession?> AcceptNextSessionAsync(string subscription, CancellationToken cancellationToken)
    {
        try
        {
            // Waits up to the client's TryTimeout (EventServices) for a session, then the broker says ServiceTimeout.
            // Not a shorter cancellation: that would also cut off the first connection and token request.
            var receiver = await client.AcceptNextSessionAsync(_topic, subscription, new ServiceBusSessionReceiverOptions { PrefetchCount = 0 }, cancellationToken);
            return new Session(receiver);
        }
        catch (ServiceBusException exception) when (exception.Reason == ServiceBusFailureReason.ServiceTimeout)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync() => _sender.DisposeAsync();

    private sealed class Session(ServiceBusSessionReceiver receiver) : IEventSession
    {
        public string SessionId => receiver.SessionId;

        public async Task<IReadOnlyList<ServiceBusReceivedMessage>> ReceiveAsync(int maxMessages, CancellationToken cancellationToken) =>
            await receiver.ReceiveMessagesAsync(maxMessages, ReceiveWait, cancellationToken);

        public Task CompleteAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken) =>
            receiver.CompleteMessageAsync(message, cancellationToken);

        public Task AbandonAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken) =>
            receiver.AbandonMessageAsync(message, cancellationToken: cancellationToken);

        public ValueTask DisposeAsync() => receiver.DisposeAsync();
    }
}
