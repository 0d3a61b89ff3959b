using System.Diagnostics;
using Microsoft.Azure.Cosmos;
using PartnerBase.Functions.Cosmos;

namespace PartnerBase.Functions.Tests.Storage;

/// <summary>
/// A Cosmos DB endpoint for tests: the local Cosmos-protocol server of tools/cosmos-local (installed with npm ci
/// and started on a free loopback port), or the account named by COSMOS_TEST_ENDPOINT / COSMOS_TEST_KEY (a real
/// account or the official emulator). Each run gets its own database. Fails with a clear message, never skips.
/// </summary>
public sealed class CosmosServer : IAsyncLifetime
{
    // The local server does not check keys; any base-64 string does. This is the public emulator key.
    private const string LocalKey = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);

    private Process? _process;

    public string Endpoint { get; private set; } = "";

    public string Key { get; private set; } = LocalKey;

    public string Database { get; } = "partnerbase-tests-" + Guid.NewGuid().ToString("N")[..8];

    public string ContainerName => "payouts";

    public CosmosRequestCounter Requests { get; } = new();

    public CosmosClient Client { get; private set; } = null!;

    public Container Container { get; private set; } = null!;

    public bool IsLocal => _process is not null;

    public CosmosOptions Options => new()
    {
        Endpoint = Endpoint,
        Key = Key,
        Database = Database,
        Container = ContainerName,
        DisableServerCertificateValidation = true,
    };

    public async ValueTask InitializeAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable("COSMOS_TEST_ENDPOINT");
        if (string.IsNullOrEmpty(endpoint))
        {
            Endpoint = await StartLocalServerAsync();
        }
        else
        {
            Endpoint = endpoint;
            Key = Environment.GetEnvironmentVariable("COSMOS_TEST_KEY") ?? throw new InvalidOperationException("COSMOS_TEST_ENDPOINT is set but COSMOS_TEST_KEY is not.");
        }

        Client = CosmosServices.CreateClient(Options, Requests, isDevelopment: true);
        var database = (await Client.CreateDatabaseIfNotExistsAsync(Database)).Database;
        Container = (await database.CreateContainerIfNotExistsAsync(CosmosServices.PayoutsContainer(ContainerName))).Container;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null && Client is not null)
        {
            await Client.GetDatabase(Database).DeleteAsync();
        }

        Client?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.StandardInput.Close();
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }

    private async Task<string> StartLocalServerAsync()
    {
        var directory = Path.Combine(RepositoryRoot(), "tools", "cosmos-local");
        await InstallAsync(directory);
        _process = Start("node", "server.js", directory, redirectInput: true)
            ?? throw new InvalidOperationException("Could not start 'node' for the local Cosmos server: is Node.js 20+ on the PATH?");
        var stderr = _process.StandardError.ReadToEndAsync();
        var line = _process.StandardOutput.ReadLineAsync();
        if (await Task.WhenAny(line, Task.Delay(StartTimeout)) != line || line.Result is not { } ready || !ready.StartsWith("COSMOS_ENDPOINT=", StringComparison.Ordinal))
        {
            _process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The local Cosmos server in {directory} did not start within {StartTimeout.TotalSeconds} s: {await stderr}");
        }

        return ready["COSMOS_ENDPOINT=".Length..];
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
            // The server exits when its stdin closes, so it cannot outlive a test run that crashes.
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        });

    private static string RepositoryRoot()
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
}
