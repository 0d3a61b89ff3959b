using System.Diagnostics;
using static PartnerBase.Functions.Tests.Hosting.FunctionAppFiles;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// Runs `dotnet publish -c Release` of one of the repository's projects once, as a class fixture, into a temporary
/// folder (with its own bin/obj, so it never touches the repository's build output), and deletes it afterwards.
/// </summary>
public abstract class PublishedProject(string project, string expectedFile, TimeSpan timeout) : IAsyncLifetime
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "partnerbase-publish-" + Guid.NewGuid().ToString("N"));

    public string Folder => Path.Combine(_temp, "publish");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_temp);
        var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet && File.Exists(dotnet) ? dotnet : "dotnet")
        {
            WorkingDirectory = RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "publish", Path.Combine(RepoRoot, project), "-c", "Release", "-o", Folder,
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
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException($"dotnet publish {project} took longer than {timeout}:\n{await stdout}\n{await stderr}");
        }

        if (process.ExitCode != 0 || !File.Exists(Path.Combine(Folder, expectedFile)))
        {
            throw new InvalidOperationException($"dotnet publish {project} exited with {process.ExitCode}, leaving {(Directory.Exists(Folder) ? Directory.GetFileSystemEntries(Folder).Length : 0)} entries in {Folder}:\n{await stdout}\n{await stderr}");
        }
    }

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
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
