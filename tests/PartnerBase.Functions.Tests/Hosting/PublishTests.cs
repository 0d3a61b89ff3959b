using System.Diagnostics;
using System.Net;
using PartnerBase.FunctionsLocal;
using static PartnerBase.Functions.Tests.Hosting.FunctionAppFiles;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// The publish folder is what gets deployed (CONTRACT §7): host.json, functions.metadata, worker.config.json and
/// .azurefunctions/ beside the worker, which must start under a Functions host and answer.
/// </summary>
public sealed class PublishTests(PublishTests.PublishedApp published) : IClassFixture<PublishTests.PublishedApp>
{
    [Fact]
    public void Publish_Layout_IsADeployableIsolatedWorkerApp()
    {
        var root = published.Folder;

        Assert.All(new[] { "host.json", "functions.metadata", "worker.config.json", "PartnerBase.Functions.dll" },
            file => Assert.True(File.Exists(Path.Combine(root, file)), $"{file} is not in the publish folder"));
        Assert.True(Directory.Exists(Path.Combine(root, ".azurefunctions")), ".azurefunctions/ is not in the publish folder");
        Assert.Equal(File.ReadAllText(HostJsonPath), File.ReadAllText(Path.Combine(root, "host.json")));
        var worker = Read(Path.Combine(root, "worker.config.json")).GetProperty("description");
        Assert.Equal("dotnet-isolated", worker.GetProperty("language").GetString());
        Assert.Equal("PartnerBase.Functions.dll", worker.GetProperty("defaultWorkerPath").GetString());
        AssertIsTheContractsFunctions(Read(Path.Combine(root, "functions.metadata")));

        // The local Functions host is a development tool: never in what is deployed.
        Assert.Empty(Directory.GetFiles(root, "PartnerBase.FunctionsLocal*", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(root, "local.settings.json")));
    }

    [Fact]
    public async Task PublishedWorker_UnderTheLocalFunctionsHost_Answers()
    {
        var options = new LocalHostOptions
        {
            AppDirectory = published.Folder,
            Urls = ["http://127.0.0.1:0"],
            Settings = new Dictionary<string, string> { ["CommissionRunSchedule"] = "0 0 2 1 * *", ["EventRelaySchedule"] = FunctionApp.EverySecond, ["PaymentsSchedule"] = FunctionApp.EverySecond, ["NotificationsSchedule"] = FunctionApp.EverySecond, ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development" },
            RunTimersOnSchedule = false,
        };
        await using var host = await LocalFunctionsHost.StartAsync(options, new ProcessWorkerLauncher(), cancellationToken: TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = host.Addresses[0] };

        var health = await client.GetAsync("/api/health", TestContext.Current.CancellationToken);
        var unknown = await client.GetAsync("/api/nothing-here", TestContext.Current.CancellationToken);
        var payouts = await client.GetAsync("/api/payouts", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("{\"status\":\"ok\"}", await health.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, payouts.StatusCode);
        Assert.Equal("application/problem+json", payouts.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpFunctions.Count + TimerFunctions.Count, host.Functions.Count);
    }

    /// <summary>
    /// Runs `dotnet publish` once for the class into a temporary folder (with its own bin/obj, so it never touches
    /// the repository's build output), and deletes it afterwards.
    /// </summary>
    public sealed class PublishedApp : IAsyncLifetime
    {
        private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(5);

        private readonly string _temp = Path.Combine(Path.GetTempPath(), "partnerbase-publish-" + Guid.NewGuid().ToString("N"));

        public string Folder => Path.Combine(_temp, "publish");

        public async ValueTask InitializeAsync()
        {
            Directory.CreateDirectory(_temp);
            var project = Path.Combine(RepoRoot, "src", "Functions", "PartnerBase.Functions.csproj");
            var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet && File.Exists(dotnet) ? dotnet : "dotnet")
            {
                WorkingDirectory = RepoRoot,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[]
            {
                "publish", project, "-c", "Release", "-o", Folder,
                "--artifacts-path", Path.Combine(_temp, "artifacts"),
                // No MSBuild node or compiler server may outlive the publish holding our output pipes open.
                "--disable-build-servers", "-nodeReuse:false",
            })
            {
                startInfo.ArgumentList.Add(argument);
            }

            using var process = new Process { StartInfo = startInfo };
            process.Start();
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var timeout = new CancellationTokenSource(PublishTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                throw new TimeoutException($"dotnet publish took longer than {PublishTimeout}:\n{await stdout}\n{await stderr}");
            }

            if (process.ExitCode != 0 || !File.Exists(Path.Combine(Folder, "host.json")))
            {
                throw new InvalidOperationException($"dotnet publish exited with {process.ExitCode}, leaving {(Directory.Exists(Folder) ? Directory.GetFileSystemEntries(Folder).Length : 0)} entries in {Folder}:\n{await stdout}\n{await stderr}");
            }
        }

        public ValueTask DisposeAsync()
        {
            try
            {
                Directory.Delete(_temp, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temporary folder left behind is not a test failure.
            }
            catch (UnauthorizedAccessException)
            {
            }

            return ValueTask.CompletedTask;
        }
    }
}
