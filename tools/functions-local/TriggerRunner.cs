using System.Diagnostics;
using PartnerBase.FunctionsLocal.Rpc;

namespace PartnerBase.FunctionsLocal;

/// <summary>Runs the non-HTTP functions: timers on their schedule, any of them on demand; one run at a time per function.</summary>
internal sealed class TriggerRunner : IAsyncDisposable
{
    // Task.Delay takes at most ~24.8 days; waits are cut into slices and re-checked against the clock.
    private static readonly TimeSpan MaxDelay = TimeSpan.FromHours(1);

    private readonly WorkerChannel _channel;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Trigger> _triggers;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _schedules = [];

    public TriggerRunner(IEnumerable<IndexedFunction> functions, WorkerChannel channel, ILogger logger)
    {
        _channel = channel;
        _logger = logger;
        _triggers = functions
            .Where(f => f.Info.Kind != FunctionKind.Http)
            .ToDictionary(f => f.Info.Name, f => new Trigger(f), StringComparer.OrdinalIgnoreCase);
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
            return await InvokeAsync(trigger, input, reason, LogLevel.Information);
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
        var schedule = trigger.Function.Schedule!;
        try
        {
            if (trigger.Function.RunOnStartup)
            {
                Fire(trigger, "RunOnStartup");
            }

            while (true)
            {
                var due = schedule.GetNextOccurrence(DateTime.UtcNow);
                for (var wait = due - DateTime.UtcNow; wait > TimeSpan.Zero; wait = due - DateTime.UtcNow)
                {
                    await Task.Delay(wait < MaxDelay ? wait : MaxDelay, cancellationToken);
                }

                if (Fire(trigger, $"Timer fired at {due:O}"))
                {
                    trigger.Last = due;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // A timer is a singleton (in Azure through a storage lock): an occurrence that finds the previous run going is skipped.
    private bool Fire(Trigger trigger, string reason)
    {
        if (!trigger.Running.Wait(0))
        {
            _logger.SkippedRun(trigger.Function.Info.Name, reason);
            return false;
        }

        _ = RunHeldAsync(trigger, reason);
        return true;
    }

    private async Task RunHeldAsync(Trigger trigger, string reason)
    {
        try
        {
            await InvokeAsync(trigger, null, reason, LogLevel.Debug);
        }
        finally
        {
            trigger.Running.Release();
        }
    }

    /// <param name="level">Of the start and the success (a failure is an error): Debug for scheduled runs.</param>
    private async Task<InvocationResult> InvokeAsync(Trigger trigger, string? input, string reason, LogLevel level)
    {
        var function = trigger.Function;
        var invocationId = Guid.NewGuid().ToString();
        var data = function.Info.Kind == FunctionKind.Timer
            ? new TypedData { Json = TimerInfoJson(trigger) }
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

    // The Functions host's serialization of TimerInfo; the worker's TimerInfo reads it back.
    private static string TimerInfoJson(Trigger trigger)
    {
        var now = DateTime.UtcNow;
        return Invocations.WriteJson(json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("Schedule");
            json.WriteBoolean("AdjustForDST", true);
            json.WriteEndObject();
            json.WriteStartObject("ScheduleStatus");
            json.WriteString("Last", trigger.Last);
            json.WriteString("Next", trigger.Function.Schedule?.GetNextOccurrence(now) ?? now);
            json.WriteString("LastUpdated", now);
            json.WriteEndObject();
            json.WriteBoolean("IsPastDue", false);
            json.WriteEndObject();
        });
    }

    private sealed class Trigger(IndexedFunction function)
    {
        public IndexedFunction Function { get; } = function;

        public SemaphoreSlim Running { get; } = new(1, 1);

        public DateTime Last { get; set; } = DateTime.MinValue;
    }
}
