using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using static PartnerBase.Functions.Tests.Hosting.FunctionAppFiles;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// The publish folder is what gets deployed and what `func start` runs: host.json at its root, one folder per
/// function, and the self-contained executable host.json names, which must answer the host's readiness probe.
/// </summary>
public sealed class PublishTests(PublishTests.PublishedApp published) : IClassFixture<PublishTests.PublishedApp>
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Publish_Layout_IsWhatTheFunctionsHostLoads()
    {
        var root = published.Folder;

        Assert.True(File.Exists(Path.Combine(root, "host.json")), "host.json is not at the root of the publish folder");
        Assert.All(FunctionNames, name => Assert.True(File.Exists(Path.Combine(root, name, "function.json")), $"{name}/function.json is missing"));
        var functionJsons = Directory.GetFiles(root, "function.json", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);
        Assert.Equal(FunctionNames.Select(name => $"{name}/function.json").Order(StringComparer.Ordinal), functionJsons);
        Assert.Equal(File.ReadAllText(HostJsonPath), File.ReadAllText(Path.Combine(root, "host.json")));

        Assert.True(File.Exists(published.Executable), $"{published.Executable}, named by host.json, is not in the publish folder");
        if (!OperatingSystem.IsWindows())
        {
            Assert.True(File.GetUnixFileMode(published.Executable).HasFlag(UnixFileMode.UserExecute), $"{published.Executable} is not executable");
        }
    }

    [Fact]
    public async Task PublishedExecutable_StartedLikeTheHost_AnswersTheReadinessProbe()
    {
        // The publish is self-contained for linux-x64 (the custom runtime image has no .NET).
        Assert.True(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64, "the handler is published for linux-x64");

        // The host hands the handler a free port; between finding one here and the handler binding it, another
        // server of this test run can take it. Then the handler exits saying so, and the host would pick another.
        var start = await StartAndProbeAsync(FreeLoopbackPort());
        for (var attempt = 1; start.Status is null && start.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase) && attempt < 3; attempt++)
        {
            start = await StartAndProbeAsync(FreeLoopbackPort());
        }

        Assert.True(start.Status is not null, $"the handler did not answer on port {start.Port} within {StartTimeout.TotalSeconds} s, or exited first:\n{start.Output}");
        Assert.Equal(HttpStatusCode.OK, start.Status);
    }

    private sealed record Start(int Port, HttpStatusCode? Status, string Output);

    /// <summary>Starts the published handler on <paramref name="port"/> as the host does and waits for its answer to GET /; stops it again.</summary>
    private async Task<Start> StartAndProbeAsync(int port)
    {
        var startInfo = new ProcessStartInfo(published.Executable)
        {
            WorkingDirectory = published.Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in HostEnvironment(port))
        {
            startInfo.Environment[name] = value;
        }

        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        startInfo.Environment.Remove("ASPNETCORE_URLS");
        startInfo.Environment.Remove("ASPNETCORE_HTTP_PORTS");

        var output = new StringBuilder();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Append(output, "out", e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, "err", e.Data);
        Assert.True(process.Start());
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        HttpStatusCode? status = null;
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var probe = new Uri($"http://127.0.0.1:{port}/");
            var clock = Stopwatch.StartNew();
            while (status is null && clock.Elapsed < StartTimeout && !process.HasExited)
            {
                try
                {
                    using var response = await client.GetAsync(probe, TestContext.Current.CancellationToken);

                    // Whoever answered, the answer counts only if the handler is still running (it did not fail to bind).
                    await Task.Delay(200, TestContext.Current.CancellationToken);
                    if (!process.HasExited)
                    {
                        status = response.StatusCode;
                    }
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(200, TestContext.Current.CancellationToken);
                }
                catch (TaskCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
                {
                    // One probe timed out; keep polling until the start timeout.
                }
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync(CancellationToken.None);
        }

        return new Start(port, status, Text(output));
    }

    private static void Append(StringBuilder output, string stream, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.Append(stream).Append(": ").AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
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

        public string Executable => Path.Combine(Folder, HostJson().GetProperty("customHandler").GetProperty("description").GetProperty("defaultExecutablePath").GetString()!);

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
