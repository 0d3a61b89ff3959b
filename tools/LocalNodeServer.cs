using System.Diagnostics;
using System.Text;

namespace PartnerBase.LocalServers;

/// <summary>
/// A Node.js server under tools/&lt;name&gt;: <c>npm ci</c> once per checkout (under a file lock: test processes run
/// in parallel), then <c>node server.js</c> on a free port until it prints its ready line. Its stdin is a pipe that
/// closes when this process ends, so the server cannot outlive a run that crashes. Shared by tools/cosmos-local,
/// tools/smtp-local and tools/azurite (compiled into the local Functions host, linked into the other projects).
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

    /// <param name="arguments">After <c>server.js</c> on its command line, e.g. <c>--port 10000</c>.</param>
    public static async Task<LocalNodeServer> StartAsync(string tool, string readyPrefix, string arguments = "")
    {
        var directory = await InstallAsync(tool);
        var process = Start("node", $"server.js {arguments}".TrimEnd(), directory, redirectInput: true)
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
    /// npm ci in tools/&lt;tool&gt; when node_modules is missing or older than package-lock.json (npm writes
    /// node_modules/.package-lock.json last), so a changed lock file is installed again. Returns the tool's folder.
    /// </summary>
    public static async Task<string> InstallAsync(string tool)
    {
        var directory = Path.Combine(RepositoryRoot(), "tools", tool);
        var installed = Path.Combine(directory, "node_modules", ".package-lock.json");
        var lockFile = Path.Combine(directory, "package-lock.json");
        bool IsCurrent() => File.Exists(installed) && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(lockFile);

        using var gate = await LockAsync(Path.Combine(directory, ".install.lock"));
        if (IsCurrent())
        {
            return directory;
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

        return directory;
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
