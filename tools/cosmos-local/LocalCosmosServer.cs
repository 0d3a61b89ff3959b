using System.Diagnostics;

namespace PartnerBase.CosmosLocal;

/// <summary>
/// Starts tools/cosmos-local (npm ci once, under a file lock, then node server.js on a free loopback port) and
/// stops it on dispose. Linked into the test and benchmark projects; fails with a clear message, never silently.
/// </summary>
public sealed class LocalCosmosServer : IAsyncDisposable
{
    /// <summary>The server does not check keys; any base-64 string does. This is the public emulator key.</summary>
    public const string Key = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);

    private readonly Process _process;

    private LocalCosmosServer(Process process, string endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public static async Task<LocalCosmosServer> StartAsync()
    {
        var directory = Path.Combine(RepositoryRoot(), "tools", "cosmos-local");
        await InstallAsync(directory);
        var process = Start("node", "server.js", directory, redirectInput: true)
            ?? throw new InvalidOperationException("Could not start 'node' for the local Cosmos server: is Node.js 20+ on the PATH?");
        var stderr = process.StandardError.ReadToEndAsync();
        var line = process.StandardOutput.ReadLineAsync();
        if (await Task.WhenAny(line, Task.Delay(StartTimeout)) != line || line.Result is not { } ready || !ready.StartsWith("COSMOS_ENDPOINT=", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The local Cosmos server in {directory} did not start within {StartTimeout.TotalSeconds} s: {await stderr}");
        }

        return new LocalCosmosServer(process, ready["COSMOS_ENDPOINT=".Length..]);
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

    /// <summary>npm ci once per checkout; test projects run in parallel, so installs take a file lock.</summary>
    private static async Task InstallAsync(string directory)
    {
        var marker = Path.Combine(directory, "node_modules", "@vercel", "cosmosdb-server", "package.json");
        using var gate = await LockAsync(Path.Combine(directory, ".install.lock"));
        if (File.Exists(marker))
        {
            return;
        }

        using var npm = Start("npm", "ci --no-audit --no-fund", directory, redirectInput: false)
            ?? throw new InvalidOperationException("Could not start 'npm' to install the local Cosmos server: is Node.js 20+ with npm on the PATH?");
        var output = npm.StandardError.ReadToEndAsync();
        _ = npm.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(InstallTimeout);
        await npm.WaitForExitAsync(timeout.Token);
        if (npm.ExitCode != 0 || !File.Exists(marker))
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
            // The server exits when its stdin closes, so it cannot outlive a run that crashes.
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        });
}
