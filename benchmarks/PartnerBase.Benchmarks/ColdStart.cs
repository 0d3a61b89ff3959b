using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PartnerBase.CosmosLocal;

namespace PartnerBase.Benchmarks;

/// <summary>
/// Cold start: process start to the first 200 from <c>GET /api/health</c>, for the published app and for
/// benchmarks/BareApp (an empty ASP.NET Core app published the same way), started in turn so that both share the
/// machine's noise. What the app's own startup costs is the difference; the ratio says how much of it is ours.
/// </summary>
public static class ColdStart
{
    private const int Starts = 10;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync()
    {
        var root = LocalCosmosServer.RepositoryRoot();
        var temp = Directory.CreateTempSubdirectory("partnerbase-coldstart-");
        try
        {
            var appDirectory = Path.Combine(temp.FullName, "app");
            var bareDirectory = Path.Combine(temp.FullName, "bare");
            var clock = Stopwatch.StartNew();
            // The app's csproj makes its publish self-contained linux-x64; the bare app gets the same on the command line.
            await PublishAsync(root, ["publish", "src/Functions/PartnerBase.Functions.csproj", "-c", "Release", "-o", appDirectory]);
            var appSeconds = clock.Elapsed.TotalSeconds;
            await PublishAsync(root, ["publish", "benchmarks/BareApp/BareApp.csproj", "-c", "Release", "-r", "linux-x64", "--self-contained", "-o", bareDirectory]);
            Console.WriteLine($"Published in {clock.Elapsed.TotalSeconds:N1} s (app {appSeconds:N1} s, bare {clock.Elapsed.TotalSeconds - appSeconds:N1} s).");

            foreach (var directory in new[] { appDirectory, bareDirectory })
            {
                // A framework-dependent publish starts differently: only self-contained against self-contained compares.
                if (!File.Exists(Path.Combine(directory, "libcoreclr.so")))
                {
                    throw new InvalidOperationException($"{directory} holds no runtime: the publish was not self-contained linux-x64.");
                }
            }

            var app = Path.Combine(appDirectory, "PartnerBase.Functions");
            var bare = Path.Combine(bareDirectory, "BareApp");
            using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) }) { Timeout = TimeSpan.FromSeconds(5) };

            // One start of each, not counted: it reads the published files into the page cache, so that what is measured
            // is a process starting, not a disk; and it warms this process's own HTTP client.
            await TimeStartAsync(http, app);
            await TimeStartAsync(http, bare);
            var appTimes = new List<double>();
            var bareTimes = new List<double>();
            for (var i = 0; i < Starts; i++)
            {
                appTimes.Add(await TimeStartAsync(http, app));
                bareTimes.Add(await TimeStartAsync(http, bare));
            }

            Console.WriteLine();
            Console.WriteLine($"Cold start, process start to first 200 from GET /api/health ({Starts} starts each, alternating; {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd})");
            Console.WriteLine();
            Console.WriteLine("| published self-contained linux-x64 | median ms | min ms | max ms |");
            Console.WriteLine("|---|---:|---:|---:|");
            Console.WriteLine($"| app (PartnerBase.Functions, Production) | {Median(appTimes):N0} | {appTimes.Min():N0} | {appTimes.Max():N0} |");
            Console.WriteLine($"| bare ASP.NET Core (benchmarks/BareApp) | {Median(bareTimes):N0} | {bareTimes.Min():N0} | {bareTimes.Max():N0} |");
            Console.WriteLine($"| ratio app/bare (medians) | {Median(appTimes) / Median(bareTimes):N2} | | |");
            return 0;
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    private static async Task PublishAsync(string root, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start 'dotnet'.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{await output}{await error}");
        }
    }

    /// <summary>Starts <paramref name="executable"/>, polls until its first 200, kills it; milliseconds from start to that 200.</summary>
    private static async Task<double> TimeStartAsync(HttpClient http, string executable)
    {
        var port = FreePort();
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Production validates at start that a token authority is configured; it is not contacted before a request needs it.
        start.Environment["Authentication__Schemes__Bearer__Authority"] = "https://login.microsoftonline.com/common/v2.0";
        start.Environment["Authentication__Schemes__Bearer__ValidAudiences__0"] = "api://bench";
        // Under the Functions host the app listens on the host's port instead of ASPNETCORE_URLS.
        start.Environment.Remove("FUNCTIONS_CUSTOMHANDLER_PORT");
        start.Environment.Remove("FUNCTIONS_HTTPWORKER_PORT");

        var log = new StringBuilder();
        var health = new Uri($"http://127.0.0.1:{port}/api/health");
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        try
        {
            // Drained, or a chatty start would fill the pipe and stall.
            process.OutputDataReceived += (_, line) => Append(log, line.Data);
            process.ErrorDataReceived += (_, line) => Append(log, line.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync(health);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        return clock.Elapsed.TotalMilliseconds;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet: connection refused.
                }

                if (process.HasExited || clock.Elapsed > StartTimeout)
                {
                    throw new InvalidOperationException(
                        $"{executable} {(process.HasExited ? $"exited ({process.ExitCode})" : "did not answer")} before a 200 from {health}:\n{Logged(log)}");
                }

                await Task.Delay(PollInterval);
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.AppendLine(line);
            }
        }
    }

    private static string Logged(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
