using System.Diagnostics;
using System.Text.Json;
using PartnerBase.CosmosLocal;

namespace PartnerBase.Benchmarks;

/// <summary>
/// The builds the process benchmarks start, each with its own bin and obj under benchmarks/artifacts
/// (<c>--artifacts-path</c>), so that they never touch the repository's own build output and stay incremental
/// from one run to the next.
/// </summary>
public static class AppBuild
{
    /// <summary>The app's build output (worker.config.json, functions.metadata, host.json) and the local Functions host beside it.</summary>
    public sealed record BuiltApp(string AppDirectory, string HostAssembly);

    public static string Root { get; } = LocalCosmosServer.RepositoryRoot();

    private static string Artifacts => Path.Combine(Root, "benchmarks", "artifacts");

    /// <summary>
    /// src/Functions in Release with <c>-p:BenchmarkFunctions=true</c>: the app plus the load benchmark's bare function
    /// (src/Functions/Http/BenchmarkFunctions.cs), which the app's normal build and its publish leave out. The app's
    /// project builds the local Functions host too.
    /// </summary>
    public static async Task<BuiltApp> WithBenchmarkFunctionsAsync()
    {
        var artifacts = Path.Combine(Artifacts, "benchmark-functions");
        var clock = Stopwatch.StartNew();
        await DotnetAsync("build", Path.Combine("src", "Functions", "PartnerBase.Functions.csproj"), "-c", "Release", "-p:BenchmarkFunctions=true", "--artifacts-path", artifacts);
        var built = new BuiltApp(
            Path.Combine(artifacts, "bin", "PartnerBase.Functions", "release"),
            Path.Combine(artifacts, "bin", "PartnerBase.FunctionsLocal", "release", "PartnerBase.FunctionsLocal.dll"));
        foreach (var file in new[] { Path.Combine(built.AppDirectory, "worker.config.json"), built.HostAssembly })
        {
            if (!File.Exists(file))
            {
                throw new InvalidOperationException($"The build left no {file}.");
            }
        }

        Console.Error.WriteLine($"Built the app with the benchmark functions in {clock.Elapsed.TotalSeconds:N0} s.");
        return built;
    }

    /// <summary><c>dotnet publish</c> of <paramref name="project"/> (relative to the repository) in Release into benchmarks/artifacts/&lt;name&gt;/publish.</summary>
    public static async Task<string> PublishAsync(string project, string name)
    {
        var output = Path.Combine(Artifacts, name, "publish");
        if (Directory.Exists(output))
        {
            // A file the project no longer publishes must not stay behind and be loaded.
            Directory.Delete(output, recursive: true);
        }

        await DotnetAsync("publish", project, "-c", "Release", "-o", output, "--artifacts-path", Path.Combine(Artifacts, name));
        return output;
    }

    /// <summary>
    /// The app settings of local.settings.sample.json (<c>Values</c>): what the app needs to run locally — among them
    /// the timers' schedules, which the host resolves from <c>%…Schedule%</c>, and the in-memory store and topic.
    /// </summary>
    public static Dictionary<string, string> LocalSettingsSample()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "local.settings.sample.json")));
        return sample.RootElement.GetProperty("Values").EnumerateObject()
            .ToDictionary(setting => setting.Name, setting => setting.Value.GetString() ?? "", StringComparer.Ordinal);
    }

    /// <summary>The muxer to start apps and builds with: the SDK's (when run by it), else the one on the PATH.</summary>
    public static string Dotnet { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";

    private static async Task DotnetAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Dotnet) { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // No MSBuild node or compiler server may outlive the build holding its output pipes open.
        foreach (var argument in arguments.Concat(["--disable-build-servers", "-nodeReuse:false"]))
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
}
