using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using PartnerBase.FunctionsLocal.Rpc;

namespace PartnerBase.FunctionsLocal;

/// <summary>
/// The host's end of the worker's gRPC event stream: queues what the host sends and pairs what the worker
/// answers with the request that is waiting for it.
/// </summary>
internal sealed class WorkerChannel(string workerId, ILoggerFactory loggerFactory) : FunctionRpc.FunctionRpcBase, IDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Host.Worker");
    private readonly ConcurrentDictionary<string, ILogger> _workerLoggers = new(StringComparer.Ordinal);
    private readonly Channel<StreamingMessage> _outbound = Channel.CreateUnbounded<StreamingMessage>(new() { SingleReader = true });
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<WorkerInitResponse> _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<FunctionMetadataResponse> _indexed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<FunctionLoadResponse>> _loads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationResponse>> _invocations = new(StringComparer.Ordinal);
    private readonly Queue<string> _recentLogs = new();
    private readonly CancellationTokenSource _closed = new();
    private int _streams;
    private volatile bool _disconnected;

    /// <summary>Completes when the worker has opened its event stream.</summary>
    public Task Connected => _connected.Task;

    /// <summary>The worker's last log lines (RpcLog), oldest first.</summary>
    public IReadOnlyList<string> RecentLogs
    {
        get
        {
            lock (_recentLogs)
            {
                return [.. _recentLogs];
            }
        }
    }

    public static async Task<WebApplication> StartServerAsync(WorkerChannel channel, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddRoutingCore();
        builder.Services.AddGrpc(grpc =>
        {
            // The worker is started with --grpcMaxMessageLength 2147483647; match it both ways.
            grpc.MaxReceiveMessageSize = null;
            grpc.MaxSendMessageSize = null;
        });
        builder.Services.AddSingleton(channel);

        var app = builder.Build();
        app.MapGrpcService<WorkerChannel>();
        await app.StartAsync(cancellationToken);
        return app;
    }

    public override async Task EventStream(
        IAsyncStreamReader<StreamingMessage> requestStream,
        IServerStreamWriter<StreamingMessage> responseStream,
        ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken)
            || requestStream.Current.StartStream is not { } start
            || start.WorkerId != workerId)
        {
            _logger.StrangeStream(workerId);
            return;
        }

        // The host advertises MultiStream, so a worker may open more streams; they only carry messages to the host.
        var primary = Interlocked.Increment(ref _streams) == 1;
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _closed.Token);
        var writing = primary ? WriteAsync(responseStream, reading.Token) : Task.CompletedTask;
        if (primary)
        {
            _connected.TrySetResult();
        }

        try
        {
            while (await requestStream.MoveNext(reading.Token))
            {
                Receive(requestStream.Current);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or Grpc.Core.RpcException)
        {
            _logger.StreamEnded(e);
        }
        finally
        {
            await reading.CancelAsync();
            if (primary)
            {
                await writing;
                Disconnect();
            }
        }
    }

    /// <summary>
    /// Ends the event streams from the host's side. An in-process worker never closes its gRPC channel, and an
    /// open call would hold up the server's stop until its shutdown timeout.
    /// </summary>
    public void Close() => _closed.Cancel();

    public void Dispose() => _closed.Dispose();

    public void Send(StreamingMessage message) => _outbound.Writer.TryWrite(message);

    public Task<WorkerInitResponse> InitializeAsync(WorkerInitRequest request)
    {
        Send(new StreamingMessage { WorkerInitRequest = request });
        return _initialized.Task;
    }

    public Task<FunctionMetadataResponse> GetFunctionMetadataAsync(string appDirectory)
    {
        Send(new StreamingMessage { FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = appDirectory } });
        return _indexed.Task;
    }

    public Task<FunctionLoadResponse> LoadAsync(FunctionLoadRequest request) =>
        SendAndWait(_loads, request.FunctionId, new StreamingMessage { FunctionLoadRequest = request });

    public Task<InvocationResponse> InvokeAsync(InvocationRequest request) =>
        SendAndWait(_invocations, request.InvocationId, new StreamingMessage { InvocationRequest = request });

    private Task<T> SendAndWait<T>(ConcurrentDictionary<string, TaskCompletionSource<T>> pending, string key, StreamingMessage message)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[key] = completion;
        if (_disconnected)
        {
            pending.TryRemove(key, out _);
            completion.TrySetException(Disconnected());
        }
        else
        {
            Send(message);
        }

        return completion.Task;
    }

    private async Task WriteAsync(IServerStreamWriter<StreamingMessage> responseStream, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in _outbound.Reader.ReadAllAsync(cancellationToken))
            {
                await responseStream.WriteAsync(message, cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            _logger.StreamEnded(e);
        }
    }

    private void Receive(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.RpcLog:
                Forward(message.RpcLog);
                break;
            case StreamingMessage.ContentOneofCase.WorkerInitResponse:
                _initialized.TrySetResult(message.WorkerInitResponse);
                break;
            case StreamingMessage.ContentOneofCase.FunctionMetadataResponse:
                _indexed.TrySetResult(message.FunctionMetadataResponse);
                break;
            case StreamingMessage.ContentOneofCase.FunctionLoadResponse:
                Complete(_loads, message.FunctionLoadResponse.FunctionId, message.FunctionLoadResponse);
                break;
            case StreamingMessage.ContentOneofCase.InvocationResponse:
                Complete(_invocations, message.InvocationResponse.InvocationId, message.InvocationResponse);
                break;
            default:
                _logger.IgnoredMessage(message.ContentCase);
                break;
        }
    }

    private static void Complete<T>(ConcurrentDictionary<string, TaskCompletionSource<T>> pending, string key, T response)
    {
        if (pending.TryRemove(key, out var completion))
        {
            completion.TrySetResult(response);
        }
    }

    private void Forward(RpcLog log)
    {
        if (log.LogCategory == RpcLog.Types.RpcLogCategory.CustomMetric || log.Level == RpcLog.Types.Level.None)
        {
            return;
        }

        var category = string.IsNullOrEmpty(log.Category) ? "Worker" : log.Category;
        var level = (LogLevel)log.Level;
        var message = log.Exception is { } exception ? $"{log.Message}{Environment.NewLine}{exception.Message}{Environment.NewLine}{exception.StackTrace}" : log.Message;

        if (level >= LogLevel.Information)
        {
            lock (_recentLogs)
            {
                _recentLogs.Enqueue($"{level}: {category}: {message}");
                while (_recentLogs.Count > 50)
                {
                    _recentLogs.Dequeue();
                }
            }
        }

        var logger = _workerLoggers.GetOrAdd(category, loggerFactory.CreateLogger);
        logger.WorkerLog(level, message);
    }

    private void Disconnect()
    {
        _disconnected = true;
        _outbound.Writer.TryComplete();
        var error = Disconnected();
        _initialized.TrySetException(error);
        _indexed.TrySetException(error);
        foreach (var key in _loads.Keys)
        {
            if (_loads.TryRemove(key, out var load))
            {
                load.TrySetException(error);
            }
        }

        foreach (var key in _invocations.Keys)
        {
            if (_invocations.TryRemove(key, out var invocation))
            {
                invocation.TrySetException(error);
            }
        }
    }

    private static IOException Disconnected() => new("The worker closed its event stream.");
}
