using System.Diagnostics;
using System.Text;
using System.Text.Json;

using PartnerBase.LocalServers;

namespace PartnerBase.SmtpLocal;

/// <summary>A message as tools/smtp-local received it: envelope sender and recipients, subject, plain-text body.</summary>
public sealed record ReceivedEmail(string From, IReadOnlyList<string> To, string Subject, string Text);

/// <summary>
/// Starts tools/smtp-local (plain SMTP on a free loopback port, no auth needed) and collects every message it
/// receives; stops it on dispose. Linked into the test project; fails with a clear message, never silently.
/// </summary>
public sealed class LocalSmtpServer : IAsyncDisposable
{
    public const string Host = "127.0.0.1";

    private const string ReadyPrefix = "SMTP_PORT=";

    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly LocalNodeServer _node;
    private readonly Lock _gate = new();
    private readonly List<ReceivedEmail> _received = [];
    private readonly Task _reader;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _stopped;

    private LocalSmtpServer(LocalNodeServer node, int port)
    {
        _node = node;
        Port = port;
        _reader = Task.Run(ReadMessagesAsync);
    }

    public int Port { get; }

    /// <summary>Every message received so far, in order of arrival.</summary>
    public IReadOnlyList<ReceivedEmail> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    public static async Task<LocalSmtpServer> StartAsync()
    {
        var node = await LocalNodeServer.StartAsync("smtp-local", ReadyPrefix);
        if (!int.TryParse(node.ReadyValue, out var port))
        {
            await node.DisposeAsync();
            throw new InvalidOperationException($"The local SMTP server printed '{ReadyPrefix}{node.ReadyValue}', not a port.");
        }

        return new LocalSmtpServer(node, port);
    }

    /// <summary>The first message (received so far or later) that matches; throws after <paramref name="timeout"/> (10 s by default).</summary>
    public async Task<ReceivedEmail> WaitForAsync(Func<ReceivedEmail, bool> match, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultWait);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_received.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                if (_stopped)
                {
                    throw new InvalidOperationException($"The local SMTP server exited before the expected message arrived: {_node.Errors}");
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"The local SMTP server received no matching message within {(timeout ?? DefaultWait).TotalSeconds} s; it has: "
                    + string.Join("; ", Received.Select(m => $"to {string.Join(",", m.To)}: {m.Subject}")));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        await _reader;
    }

    private async Task ReadMessagesAsync()
    {
        try
        {
            while (await _node.Output.ReadLineAsync() is { } line)
            {
                var message = JsonSerializer.Deserialize<ReceivedEmail>(line, Json)
                    ?? throw new InvalidOperationException($"The local SMTP server printed '{line}', not a message.");
                Signal(() => _received.Add(message));
            }
        }
        finally
        {
            Signal(() => _stopped = true);
        }
    }

    private void Signal(Action change)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            change();
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.SetResult();
    }
}
