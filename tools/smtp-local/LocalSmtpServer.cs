using System.Diagnostics;
using System.Text;
using System.Text.Json;

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

/// <summary>
/// A Node.js server under tools/&lt;name&gt;: <c>npm ci</c> once per checkout (under a file lock: test processes run
/// in parallel), then <c>node server.js</c> on a free port until it prints its ready line. Its stdin is a pipe that
/// closes when this process ends, so the server cannot outlive a run that crashes. Not SMTP-specific: the same
/// steps as tools/cosmos-local/LocalCosmosServer.cs, written once for any such tool.
/// </summary>
public sealed class LocalNodeServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);

    private readonly Process _process;
    private readonly StringBuilder _errors;

    private LocalNodeServer(Process process, StringBuilder errors, string readyValue)
    {
        _process = process;
        _errors = errors;
        ReadyValue = readyValue;
    }

    /// <summary>What followed the ready prefix on the server's first line (its port or endpoint).</summary>
    public string ReadyValue { get; }

    /// <summary>The server's stdout after the ready line.</summary>
    public StreamReader Output => _process.StandardOutput;

    /// <summary>What the server wrote to stderr so far.</summary>
    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    public static async Task<LocalNodeServer> StartAsync(string tool, string readyPrefix)
    {
        var directory = Path.Combine(RepositoryRoot(), "tools", tool);
        await InstallAsync(directory);
        var process = Start("node", "server.js", directory, redirectInput: true)
            ?? throw new InvalidOperationException($"Could not start 'node' for tools/{tool}: is Node.js 20+ on the PATH?");
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();

        var line = process.StandardOutput.ReadLineAsync();
        if (await Task.WhenAny(line, Task.Delay(StartTimeout)) != line || line.Result is not { } ready || !ready.StartsWith(readyPrefix, StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
            throw new InvalidOperationException($"tools/{tool} (node server.js in {directory}) did not print '{readyPrefix}…' within {StartTimeout.TotalSeconds} s: {errors}");
        }

        return new LocalNodeServer(process, errors, ready[readyPrefix.Length..]);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PartnerBase.Functions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No PartnerBase.Functions.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>
    /// npm ci when node_modules is missing or older than package-lock.json (npm writes node_modules/.package-lock.json
    /// last), so a changed lock file is installed again.
    /// </summary>
    private static async Task InstallAsync(string directory)
    {
        var installed = Path.Combine(directory, "node_modules", ".package-lock.json");
        var lockFile = Path.Combine(directory, "package-lock.json");
        bool IsCurrent() => File.Exists(installed) && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(lockFile);

        using var gate = await LockAsync(Path.Combine(directory, ".install.lock"));
        if (IsCurrent())
        {
            return;
        }

        using var npm = Start("npm", "ci --no-audit --no-fund", directory, redirectInput: false)
            ?? throw new InvalidOperationException($"Could not start 'npm' to install {directory}: is Node.js 20+ with npm on the PATH?");
        var output = npm.StandardError.ReadToEndAsync();
        _ = npm.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(InstallTimeout);
        await npm.WaitForExitAsync(timeout.Token);
        if (npm.ExitCode != 0 || !IsCurrent())
        {
            throw new InvalidOperationException($"'npm ci' in {directory} failed ({npm.ExitCode}): {await output}");
        }
    }

    private static async Task<FileStream> LockAsync(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 600)
            {
                await Task.Delay(500);
            }
        }
    }

    private static Process? Start(string fileName, string arguments, string directory, bool redirectInput) =>
        Process.Start(new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        });
}
