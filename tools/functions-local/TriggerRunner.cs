using System.Diagnostics;
using Azure;
using PartnerBase.FunctionsLocal.Rpc;

namespace PartnerBase.FunctionsLocal;

/// <summary>
/// Runs the non-HTTP functions: timers on their schedule, any of them on demand; one run at a time per function. With
/// <see cref="TimerStorage"/>, as the Functions host: a timer fires only on the host holding its listener lock, and a
/// monitored timer records its status and runs once at start when an occurrence was missed.
/// </summary>
internal sealed class TriggerRunner : IAsyncDisposable
{
    // Task.Delay takes at most ~24.8 days; waits are cut into slices and re-checked against the clock.
    private static readonly TimeSpan MaxDelay = TimeSpan.FromHours(1);

    private readonly WorkerChannel _channel;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Trigger> _triggers;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _schedules = [];
    private readonly TimerStorage? _storage;

    public TriggerRunner(IEnumerable<IndexedFunction> functions, WorkerChannel channel, TimerStorage? storage, ILogger logger)
    {
        _channel = channel;
        _storage = storage;
        _logger = logger;
        var now = DateTime.UtcNow;
        _triggers = functions
            .Where(f => f.Info.Kind != FunctionKind.Http)
            .ToDictionary(
                f => f.Info.Name,
                f => new Trigger(f, storage is not null && f.Schedule is not null && TimerStorage.IsMonitored(f.Info.Schedule!, f.Schedule, now)),
                StringComparer.OrdinalIgnoreCase);
    }

    public bool Contains(string functionName) => _triggers.ContainsKey(functionName);

    public void StartSchedules()
    {
        foreach (var trigger in _triggers.Values.Where(t => t.Function.Schedule is not null))
        {
            _schedules.Add(RunScheduleAsync(trigger, _stopping.Token));
        }
    }

    /// <summary>Runs the function once, after the run in progress (if any) has ended.</summary>
    public async Task<InvocationResult> RunAsync(string functionName, string? input, string reason, CancellationToken cancellationToken)
    {
        var trigger = _triggers.TryGetValue(functionName, out var found)
            ? found
            : throw new ArgumentException($"There is no non-HTTP function named '{functionName}'.", nameof(functionName));
        await trigger.Running.WaitAsync(cancellationToken);
        try
        {
            return await InvokeAsync(trigger, input, reason, isPastDue: false, LogLevel.Information);
        }
        finally
        {
            trigger.Running.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_schedules);
        _stopping.Dispose();
    }

    private async Task RunScheduleAsync(Trigger trigger, CancellationToken cancellationToken)
    {
        try
        {
            if (_storage is null)
            {
                await RunTimerAsync(trigger, cancellationToken);
                return;
            }

            // The host's SingletonListener: the timer listens only while this host holds its lock; others retry.
            while (true)
            {
                var retry = await RunWhileLockedAsync(trigger, _storage, cancellationToken);
                if (retry)
                {
                    await Task.Delay(_storage.LockRetryInterval, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <returns>Whether to wait before trying again (the lock is another host's, or the storage failed).</returns>
    private async Task<bool> RunWhileLockedAsync(Trigger trigger, TimerStorage storage, CancellationToken cancellationToken)
    {
        var name = trigger.Function.Info.Name;
        try
        {
            await using var held = await storage.TryAcquireLockAsync(name, cancellationToken);
            if (held is null)
            {
                return true;
            }

            _logger.LockAcquired(name);
            using var locked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, held.Lost);
            try
            {
                await RunTimerAsync(trigger, locked.Token);
            }
            catch (OperationCanceledException) when (held.Lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
            }

            return false;
        }
        catch (Exception e) when (e is RequestFailedException or AggregateException or IOException)
        {
            _logger.TimerStorageFailed(name, e.Message);
            return true;
        }
    }

    private async Task RunTimerAsync(Trigger trigger, CancellationToken cancellationToken)
    {
        var schedule = trigger.Function.Schedule!;
        var isPastDue = false;
        if (_storage is not null && trigger.Monitored)
        {
            var name = trigger.Function.Info.Name;
            var now = DateTime.UtcNow;
            (trigger.Status, isPastDue) = await _storage.CheckPastDueAsync(name, schedule, now, await _storage.GetStatusAsync(name, cancellationToken), cancellationToken);
        }

        // One catch-up for however many occurrences were missed; RunOnStartup only when not past due.
        if (isPastDue)
        {
            Fire(trigger, "Timer is past due", occurrence: null, isPastDue: true);
        }
        else if (trigger.Function.RunOnStartup)
        {
            Fire(trigger, "RunOnStartup", occurrence: null, isPastDue: false);
        }

        while (true)
        {
            var due = schedule.GetNextOccurrence(DateTime.UtcNow);
            for (var wait = due - DateTime.UtcNow; wait > TimeSpan.Zero; wait = due - DateTime.UtcNow)
            {
                await Task.Delay(wait < MaxDelay ? wait : MaxDelay, cancellationToken);
            }

            if (Fire(trigger, $"Timer fired at {due:O}", due, isPastDue: false) && _storage is null)
            {
                trigger.Last = due;
            }
        }
    }

    // A timer is a singleton (in Azure through a storage lock): an occurrence that finds the previous run going is skipped.
    private bool Fire(Trigger trigger, string reason, DateTime? occurrence, bool isPastDue)
    {
        if (!trigger.Running.Wait(0))
        {
            _logger.SkippedRun(trigger.Function.Info.Name, reason);
            return false;
        }

        _ = RunHeldAsync(trigger, reason, occurrence, isPastDue);
        return true;
    }

    private async Task RunHeldAsync(Trigger trigger, string reason, DateTime? occurrence, bool isPastDue)
    {
        try
        {
            var invoked = DateTime.UtcNow;
            await InvokeAsync(trigger, null, reason, isPastDue, LogLevel.Debug);
            if (_storage is not null && trigger.Monitored)
            {
                // As the host's TimerListener: Last is the occurrence (or the invocation time for a past-due or startup run).
                var last = occurrence ?? invoked;
                trigger.Status = new ScheduleStatus(last, trigger.Function.Schedule!.GetNextOccurrence(last), last);
                await _storage.UpdateStatusAsync(trigger.Function.Info.Name, trigger.Status, CancellationToken.None);
            }
        }
        finally
        {
            trigger.Running.Release();
        }
    }

    /// <param name="level">Of the start and the success (a failure is an error): Debug for scheduled runs.</param>
    private async Task<InvocationResult> InvokeAsync(Trigger trigger, string? input, string reason, bool isPastDue, LogLevel level)
    {
        var function = trigger.Function;
        var invocationId = Guid.NewGuid().ToString();
        var data = function.Info.Kind == FunctionKind.Timer
            ? new TypedData { Json = TimerInfoJson(trigger, isPastDue) }
            : new TypedData { String = input ?? string.Empty };

        _logger.Executing(level, function.Info.Name, reason, invocationId);
        var started = Stopwatch.GetTimestamp();
        string? error;
        try
        {
            var response = await _channel.InvokeAsync(Invocations.CreateRequest(function, invocationId, data));
            error = response.Succeeded() ? null : response.Result.Describe();
        }
        catch (IOException e)
        {
            error = e.Message;
        }

        var result = new InvocationResult(invocationId, error is null, error, Stopwatch.GetElapsedTime(started));
        Invocations.LogResult(_logger, function.Info.Name, result, level);
        return result;
    }

    // The Functions host's serialization of TimerInfo; the worker's TimerInfo reads it back. With storage,
    // ScheduleStatus is the monitor's status before this run, and null for an unmonitored timer (as in Azure).
    private string TimerInfoJson(Trigger trigger, bool isPastDue)
    {
        var now = DateTime.UtcNow;
        return Invocations.WriteJson(json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("Schedule");
            json.WriteBoolean("AdjustForDST", true);
            json.WriteEndObject();
            if (_storage is null)
            {
                json.WriteStartObject("ScheduleStatus");
                json.WriteString("Last", trigger.Last);
                json.WriteString("Next", trigger.Function.Schedule?.GetNextOccurrence(now) ?? now);
                json.WriteString("LastUpdated", now);
                json.WriteEndObject();
            }
            else if (trigger.Monitored && trigger.Status is { } status)
            {
                json.WriteStartObject("ScheduleStatus");
                TimerStorage.WriteStatus(json, status);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("ScheduleStatus");
            }

            json.WriteBoolean("IsPastDue", isPastDue);
            json.WriteEndObject();
        });
    }

    private sealed class Trigger(IndexedFunction function, bool monitored)
    {
        public IndexedFunction Function { get; } = function;

        /// <summary>Whether the schedule monitor records this timer's status (storage on, due at most once a minute).</summary>
        public bool Monitored { get; } = monitored;

        public SemaphoreSlim Running { get; } = new(1, 1);

        /// <summary>Without storage: the last scheduled occurrence run.</summary>
        public DateTime Last { get; set; } = DateTime.MinValue;

        /// <summary>With the schedule monitor: the status last read or written.</summary>
        public ScheduleStatus? Status { get; set; }
    }
}
