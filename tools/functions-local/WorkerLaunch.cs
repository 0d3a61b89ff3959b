namespace PartnerBase.FunctionsLocal;

/// <summary>What a launcher needs to start a worker that connects back to this host.</summary>
/// <param name="HostEndpoint">The host's gRPC endpoint (plain-text HTTP/2 on loopback).</param>
/// <param name="Environment">App settings and the FUNCTIONS_* variables the worker expects as environment variables.</param>
public sealed record WorkerStartInfo(
    Uri HostEndpoint,
    string WorkerId,
    string RequestId,
    string AppDirectory,
    IReadOnlyDictionary<string, string> Environment);

/// <summary>Starts an isolated worker: as a process, or embedded in the caller's process (tests).</summary>
public interface IWorkerLauncher
{
    Task<IFunctionsWorker> StartAsync(WorkerStartInfo start, CancellationToken cancellationToken);
}

/// <summary>A running worker. Disposing it stops it for good (kills a process that is still running).</summary>
public interface IFunctionsWorker : IAsyncDisposable
{
    /// <summary>Null: HTTP goes to the <c>HttpUri</c> the worker advertised; else through this handler (an in-process server's).</summary>
    HttpMessageHandler? HttpHandler { get; }

    /// <summary>Completes with the exit code when the worker has stopped.</summary>
    Task<int> Exited { get; }
}

/// <summary>Implemented by workers that keep their own recent console output, shown when they fail.</summary>
internal interface IWorkerOutput
{
    IReadOnlyList<string> RecentOutput { get; }
}
