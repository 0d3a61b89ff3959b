namespace PartnerBase.FunctionsLocal;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Host started in {Elapsed}ms with {Count} functions, listening on {Addresses}.")]
    public static partial void HostStarted(this ILogger logger, long elapsed, int count, string addresses);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "The worker exited unexpectedly with code {ExitCode}. {Lines}")]
    public static partial void WorkerDied(this ILogger logger, int exitCode, string lines);

    [LoggerMessage(EventId = 16, Level = LogLevel.Error, Message = "| {Line}")]
    public static partial void WorkerLastLine(this ILogger logger, string line);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "The worker's Exited task failed.")]
    public static partial void WorkerExitFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Started worker process {ProcessId}: {Assembly}")]
    public static partial void WorkerProcessStarted(this ILogger logger, int processId, string assembly);

    [LoggerMessage(EventId = 5, Message = "{Line}")]
    public static partial void WorkerOutput(this ILogger logger, LogLevel level, string line);

    [LoggerMessage(EventId = 6, Message = "{Message}")]
    public static partial void WorkerLog(this ILogger logger, LogLevel level, string message);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Ignored an event stream that did not start with StartStream for worker {WorkerId}.")]
    public static partial void StrangeStream(this ILogger logger, string workerId);

    [LoggerMessage(EventId = 8, Level = LogLevel.Debug, Message = "The worker's event stream ended.")]
    public static partial void StreamEnded(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "Ignored a {Message} message from the worker.")]
    public static partial void IgnoredMessage(this ILogger logger, Rpc.StreamingMessage.ContentOneofCase message);

    // Debug for scheduled runs: timers firing every second would drown everything else.
    [LoggerMessage(EventId = 10, Message = "Executing '{Function}' (Reason='{Reason}', Id={InvocationId})")]
    public static partial void Executing(this ILogger logger, LogLevel level, string function, string reason, string invocationId);

    [LoggerMessage(EventId = 11, Message = "Executed '{Function}' (Succeeded, Id={InvocationId}, Duration={Duration}ms)")]
    public static partial void Succeeded(this ILogger logger, LogLevel level, string function, string invocationId, long duration);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "Executed '{Function}' (Failed, Id={InvocationId}, Duration={Duration}ms): {Error}")]
    public static partial void Failed(this ILogger logger, string function, string invocationId, long duration, string? error);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "'{Function}' is still running; skipped the run due now ({Reason}).")]
    public static partial void SkippedRun(this ILogger logger, string function, string reason);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Function {Function} is not served: its route '{Route}' is in the host's reserved admin space.")]
    public static partial void ReservedRoute(this ILogger logger, string function, string route);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "No console is served: {Directory} has no *.staticwebassets.endpoints.json (build the console first).")]
    public static partial void ConsoleNotFound(this ILogger logger, string directory);

    [LoggerMessage(EventId = 19, Level = LogLevel.Information, Message = "Started Azurite (blob, in memory) on {Endpoint} for AzureWebJobsStorage=UseDevelopmentStorage=true.")]
    public static partial void AzuriteStarted(this ILogger logger, Uri endpoint);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Timers use AzureWebJobsStorage: schedule monitor and listener locks under azure-webjobs-hosts, host id '{HostId}'.")]
    public static partial void TimerStorageUsed(this ILogger logger, string hostId);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "The timer status of '{Function}' could not be read; starting afresh: {Error}")]
    public static partial void StatusUnreadable(this ILogger logger, string function, string error);

    [LoggerMessage(EventId = 22, Level = LogLevel.Error, Message = "Function '{Function}' failed to update the timer trigger status: {Error}")]
    public static partial void StatusNotWritten(this ILogger logger, string function, string error);

    [LoggerMessage(EventId = 23, Level = LogLevel.Debug, Message = "Acquired the listener lock of '{Function}'.")]
    public static partial void LockAcquired(this ILogger logger, string function);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning, Message = "Lost the listener lock of '{Function}'; its timer stops here until the lock is taken again: {Error}")]
    public static partial void LockLost(this ILogger logger, string function, string error);

    [LoggerMessage(EventId = 25, Level = LogLevel.Debug, Message = "The listener lock of '{Function}' was not released: {Error}")]
    public static partial void LockNotReleased(this ILogger logger, string function, string error);

    [LoggerMessage(EventId = 26, Level = LogLevel.Warning, Message = "The timer of '{Function}' could not use the storage; retrying: {Error}")]
    public static partial void TimerStorageFailed(this ILogger logger, string function, string error);

    [LoggerMessage(EventId = 18, Level = LogLevel.Warning, Message = "Development sign-in is off: {Reason}.")]
    public static partial void SignInDisabled(this ILogger logger, string reason);
}
