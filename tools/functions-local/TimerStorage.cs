using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using NCrontab;
using PartnerBase.Azurite;

namespace PartnerBase.FunctionsLocal;

/// <summary>What the schedule monitor records per timer, as the Functions host's <c>ScheduleStatus</c> (UTC here).</summary>
internal sealed record ScheduleStatus(DateTime Last, DateTime Next, DateTime LastUpdated);

/// <summary>
/// The Functions host's timer guarantees on the app's storage account (<c>AzureWebJobsStorage</c>): the schedule
/// monitor's status blobs (a run missed while no host was up runs once at start, past due) and the listener's blob
/// lease (of several hosts with one host id, one fires each timer). Container and paths are the real host's, so a
/// local host and one in Azure on the same account and host id would share them.
/// </summary>
internal sealed class TimerStorage : IAsyncDisposable
{
    public const string ContainerName = "azure-webjobs-hosts";
    public const string DevelopmentStorage = "UseDevelopmentStorage=true";

    private readonly BlobContainerClient _container;
    private readonly ILogger _logger;
    private readonly LocalAzurite? _azurite;

    private TimerStorage(BlobContainerClient container, string hostId, TimeSpan lockPeriod, TimeSpan lockRetryInterval, LocalAzurite? azurite, ILogger logger)
    {
        _container = container;
        HostId = hostId;
        LockPeriod = lockPeriod;
        LockRetryInterval = lockRetryInterval;
        _azurite = azurite;
        _logger = logger;
    }

    public string HostId { get; }

    public TimeSpan LockPeriod { get; }

    public TimeSpan LockRetryInterval { get; }

    /// <summary>
    /// Null without <c>AzureWebJobsStorage</c>. For <c>UseDevelopmentStorage=true</c> with nothing on 127.0.0.1:10000,
    /// starts Azurite there for the host's lifetime (as Visual Studio does).
    /// </summary>
    public static async Task<TimerStorage?> CreateAsync(AppSettings settings, string appDirectory, LocalHostOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var connectionString = settings.Get("AzureWebJobsStorage");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return null;
        }

        if (options.TimerLockPeriod < TimeSpan.FromSeconds(15) || options.TimerLockPeriod > TimeSpan.FromSeconds(60))
        {
            throw new InvalidOperationException($"TimerLockPeriod is {options.TimerLockPeriod}; a blob lease lasts 15 to 60 seconds.");
        }

        LocalAzurite? azurite = null;
        if (string.Equals(connectionString.Trim().TrimEnd(';'), DevelopmentStorage, StringComparison.OrdinalIgnoreCase)
            && !await AnswersAsync(LocalAzurite.DevelopmentBlobPort, cancellationToken))
        {
            azurite = await LocalAzurite.StartAsync(LocalAzurite.DevelopmentBlobPort);
            logger.AzuriteStarted(azurite.BlobEndpoint);
        }

        try
        {
            var container = new BlobServiceClient(connectionString).GetBlobContainerClient(ContainerName);
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            var hostId = HostIdOf(settings, appDirectory);
            return new TimerStorage(container, hostId, options.TimerLockPeriod, options.TimerLockRetryInterval, azurite, logger);
        }
        catch (Exception e) when (e is RequestFailedException or AggregateException or FormatException or ArgumentException)
        {
            if (azurite is not null)
            {
                await azurite.DisposeAsync();
            }

            throw new InvalidOperationException($"AzureWebJobsStorage: the timers' container '{ContainerName}' could not be created: {e.Message}", e);
        }
    }

    /// <summary>
    /// <c>AzureFunctionsWebHost__hostid</c>, else the app's name (its worker assembly's, else its folder's) in lower
    /// case with what a host id cannot hold as dashes, at most 32 characters — as the host derives it from the site name.
    /// </summary>
    public static string HostIdOf(AppSettings settings, string appDirectory)
    {
        if (settings.Get("AzureFunctionsWebHost__hostid") is { Length: > 0 } configured)
        {
            return configured;
        }

        var name = WorkerAssemblyName(appDirectory) ?? Path.GetFileName(appDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var id = new string([.. name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
        return (id.Length > 32 ? id[..32] : id).Trim('-');
    }

    /// <summary>The schedule monitor is off for a schedule due more than once a minute (the host's <c>ShouldDisableScheduleMonitor</c>).</summary>
    public static bool IsMonitored(string expression, CrontabSchedule schedule, DateTime now)
    {
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var everyMinute = fields.Skip(1).All(field => field == "*");
        return !everyMinute || schedule.GetNextOccurrences(now, now.AddMinutes(1)).Take(2).Count() < 2;
    }

    public static string StatusBlobName(string hostId, string function) => $"timers/{hostId}/Host.Functions.{function}/status";

    public static string LockBlobName(string hostId, string function) => $"locks/{hostId}/Host.Functions.{function}.Listener";

    public async Task<ScheduleStatus?> GetStatusAsync(string function, CancellationToken cancellationToken)
    {
        try
        {
            var content = await _container.GetBlobClient(StatusBlobName(HostId, function)).DownloadContentAsync(cancellationToken);
            using var json = JsonDocument.Parse(content.Value.Content.ToMemory());
            var root = json.RootElement;
            return new ScheduleStatus(ReadDate(root, "Last"), ReadDate(root, "Next"), ReadDate(root, "LastUpdated"));
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            // The host would fail to read it too; starting afresh beats never running the timer.
            _logger.StatusUnreadable(function, e.Message);
            return null;
        }
    }

    /// <summary>Best effort, as the host's: a failed write is logged.</summary>
    public async Task UpdateStatusAsync(string function, ScheduleStatus status, CancellationToken cancellationToken)
    {
        try
        {
            var json = Invocations.WriteJson(writer =>
            {
                writer.WriteStartObject();
                WriteStatus(writer, status);
                writer.WriteEndObject();
            });
            await _container.GetBlobClient(StatusBlobName(HostId, function))
                .UploadAsync(BinaryData.FromString(json), overwrite: true, cancellationToken);
        }
        catch (Exception e) when (e is RequestFailedException or AggregateException or IOException)
        {
            _logger.StatusNotWritten(function, e.Message);
        }
    }

    /// <summary>
    /// The host's <c>ScheduleMonitor.CheckPastDueAsync</c>: records a first status, follows a changed schedule, and
    /// says whether an occurrence was missed (then the timer runs once now).
    /// </summary>
    public async Task<(ScheduleStatus Status, bool IsPastDue)> CheckPastDueAsync(string function, CrontabSchedule schedule, DateTime now, ScheduleStatus? status, CancellationToken cancellationToken)
    {
        if (status is null)
        {
            status = new ScheduleStatus(DateTime.MinValue, schedule.GetNextOccurrence(now), now);
            await UpdateStatusAsync(function, status, cancellationToken);
            return (status, false);
        }

        // Next was computed from Last, or before the first run from LastUpdated; if it no longer follows from them, the schedule changed.
        var basis = status.Last != DateTime.MinValue ? status.Last : status.LastUpdated != DateTime.MinValue ? status.LastUpdated : now;
        var expected = schedule.GetNextOccurrence(basis);
        if (status.Next != expected)
        {
            if (now > expected)
            {
                expected = schedule.GetNextOccurrence(now);
                basis = now;
            }

            status = new ScheduleStatus(DateTime.MinValue, expected, basis);
            await UpdateStatusAsync(function, status, cancellationToken);
        }

        return (status, now > status.Next);
    }

    /// <summary>The listener's lock for a timer, or null while another host holds it.</summary>
    public async Task<HeldLock?> TryAcquireLockAsync(string function, CancellationToken cancellationToken)
    {
        var blob = _container.GetBlobClient(LockBlobName(HostId, function));
        var lease = blob.GetBlobLeaseClient(Guid.NewGuid().ToString());
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await lease.AcquireAsync(LockPeriod, cancellationToken: cancellationToken);
                return new HeldLock(lease, LockPeriod / 2, function, _logger);
            }
            catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound && attempt == 0)
            {
                try
                {
                    await blob.UploadAsync(BinaryData.Empty, overwrite: false, cancellationToken);
                }
                catch (RequestFailedException exists) when (exists.ErrorCode == BlobErrorCode.BlobAlreadyExists || exists.Status == (int)HttpStatusCode.Conflict)
                {
                }
            }
            catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.Conflict)
            {
                return null;
            }
        }
    }

    public static void WriteStatus(Utf8JsonWriter writer, ScheduleStatus status)
    {
        // As the host's Newtonsoft output: ISO 8601, and 0001-01-01T00:00:00 (no zone) for "never".
        writer.WriteString("Last", AsWritten(status.Last));
        writer.WriteString("Next", AsWritten(status.Next));
        writer.WriteString("LastUpdated", AsWritten(status.LastUpdated));
    }

    public async ValueTask DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    private static DateTime AsWritten(DateTime value) =>
        value == DateTime.MinValue ? DateTime.SpecifyKind(value, DateTimeKind.Unspecified) : DateTime.SpecifyKind(value, DateTimeKind.Utc);

    private static DateTime ReadDate(JsonElement root, string name)
    {
        var value = root.GetProperty(name).GetDateTime();
        return value.Kind switch
        {
            DateTimeKind.Local => value.ToUniversalTime(),
            _ when value == DateTime.MinValue => DateTime.MinValue,
            _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
        };
    }

    private static string? WorkerAssemblyName(string appDirectory)
    {
        var configPath = Path.Combine(appDirectory, "worker.config.json");
        if (!File.Exists(configPath))
        {
            return null;
        }

        using var config = JsonDocument.Parse(File.ReadAllText(configPath));
        return config.RootElement.TryGetProperty("description", out var description)
            && description.TryGetProperty("defaultWorkerPath", out var path)
            && path.ValueKind == JsonValueKind.String
                ? Path.GetFileNameWithoutExtension(path.GetString())
                : null;
    }

    private static async Task<bool> AnswersAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>A held listener lock: renewed at half its period until disposed (then released) or lost.</summary>
    internal sealed class HeldLock : IAsyncDisposable
    {
        private readonly BlobLeaseClient _lease;
        private readonly string _function;
        private readonly ILogger _logger;
        private readonly CancellationTokenSource _lost = new();
        private readonly CancellationTokenSource _stopping = new();
        private readonly Task _renewing;

        public HeldLock(BlobLeaseClient lease, TimeSpan renewInterval, string function, ILogger logger)
        {
            _lease = lease;
            _function = function;
            _logger = logger;
            _renewing = RenewAsync(renewInterval);
        }

        /// <summary>Cancelled when a renewal fails: another host may hold the lock now.</summary>
        public CancellationToken Lost => _lost.Token;

        public async ValueTask DisposeAsync()
        {
            await _stopping.CancelAsync();
            await _renewing;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _lease.ReleaseAsync(cancellationToken: timeout.Token);
            }
            catch (Exception e) when (e is RequestFailedException or AggregateException or OperationCanceledException or IOException)
            {
                // It expires at the end of its period anyway.
                _logger.LockNotReleased(_function, e.Message);
            }

            _lost.Dispose();
            _stopping.Dispose();
        }

        private async Task RenewAsync(TimeSpan interval)
        {
            try
            {
                while (true)
                {
                    await Task.Delay(interval, _stopping.Token);
                    await _lease.RenewAsync(cancellationToken: _stopping.Token);
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is RequestFailedException or AggregateException or IOException)
            {
                _logger.LockLost(_function, e.Message);
                await _lost.CancelAsync();
            }
        }
    }
}
