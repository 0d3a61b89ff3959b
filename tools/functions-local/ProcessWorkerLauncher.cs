using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;

namespace PartnerBase.FunctionsLocal;

/// <summary>Starts the Function App as <c>dotnet &lt;app&gt;.dll</c>, the way the Functions host starts a dotnet-isolated worker.</summary>
public sealed class ProcessWorkerLauncher(ILoggerFactory? loggerFactory = null) : IWorkerLauncher
{
    public Task<IFunctionsWorker> StartAsync(WorkerStartInfo start, CancellationToken cancellationToken)
    {
        var assembly = FindWorkerAssembly(start.AppDirectory);
        var host = start.HostEndpoint;
        var port = host.Port.ToString(CultureInfo.InvariantCulture);
        var info = new ProcessStartInfo(DotnetPath())
        {
            WorkingDirectory = start.AppDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // Both spellings: older workers read the first set, current ones the --functions-* set. Without
        // --functions-grpc-max-message-length the worker's limit is 0 and it dies on the first message.
        foreach (var argument in new[]
        {
            assembly,
            "--host", host.Host, "--port", port,
            "--workerId", start.WorkerId, "--requestId", start.RequestId,
            "--grpcMaxMessageLength", "2147483647",
            "--functions-uri", host.ToString(),
            "--functions-worker-id", start.WorkerId, "--functions-request-id", start.RequestId,
            "--functions-grpc-max-message-length", "2147483647",
        })
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in start.Environment)
        {
            info.Environment[name] = value;
        }

        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Worker.Process");
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName} {assembly}.");
        logger.WorkerProcessStarted(process.Id, assembly);
        return Task.FromResult<IFunctionsWorker>(new ProcessWorker(process, logger));
    }

    // The Worker.Sdk writes worker.config.json into the build output; its defaultWorkerPath names the app's assembly.
    private static string FindWorkerAssembly(string appDirectory)
    {
        var configPath = Path.Combine(appDirectory, "worker.config.json");
        if (!File.Exists(configPath))
        {
            throw new InvalidOperationException(
                $"{configPath} does not exist. Point the host at the Function App's build output (bin/<configuration>/<tfm>), which the Worker.Sdk fills.");
        }

        using var config = JsonDocument.Parse(File.ReadAllText(configPath));
        var workerPath = config.RootElement.TryGetProperty("description", out var description)
            && description.TryGetProperty("defaultWorkerPath", out var path)
            && path.ValueKind == JsonValueKind.String
                ? path.GetString()!
                : throw new InvalidOperationException($"{configPath} has no description.defaultWorkerPath.");
        var assembly = Path.GetFullPath(Path.Combine(appDirectory, workerPath));
        return File.Exists(assembly) ? assembly : throw new InvalidOperationException($"The worker assembly {assembly} (from {configPath}) does not exist.");
    }

    // Prefer the muxer running this host, so that the worker gets the same .NET installation.
    private static string DotnetPath() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? path
            : "dotnet";

    private sealed class ProcessWorker : IFunctionsWorker, IWorkerOutput
    {
        private const int KeptLines = 50;

        private readonly Process _process;
        private readonly ILogger _logger;
        private readonly Queue<string> _recent = new();

        public ProcessWorker(Process process, ILogger logger)
        {
            _process = process;
            _logger = logger;
            process.OutputDataReceived += (_, e) => Receive(e.Data, LogLevel.Information);
            process.ErrorDataReceived += (_, e) => Receive(e.Data, LogLevel.Warning);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            Exited = WaitForExitAsync();
        }

        public HttpMessageHandler? HttpHandler => null;

        public Task<int> Exited { get; }

        public IReadOnlyList<string> RecentOutput
        {
            get
            {
                lock (_recent)
                {
                    return [.. _recent];
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!Exited.IsCompleted)
            {
                try
                {
                    _process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }

                await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromSeconds(10)));
            }

            _process.Dispose();
        }

        private async Task<int> WaitForExitAsync()
        {
            // Also waits until both output pipes are drained, so the last lines are in before Exited completes.
            await _process.WaitForExitAsync();
            return _process.ExitCode;
        }

        private void Receive(string? line, LogLevel level)
        {
            if (line is null)
            {
                return;
            }

            lock (_recent)
            {
                _recent.Enqueue(line);
                while (_recent.Count > KeptLines)
                {
                    _recent.Dequeue();
                }
            }

            _logger.WorkerOutput(level, line);
        }
    }
}
