using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PartnerBase.Benchmarks;

/// <summary>
/// The app as it runs locally: the local Functions host as its own process, which starts the isolated worker
/// (<c>dotnet PartnerBase.Functions.dll</c>) as another, with local.settings.sample.json's settings (timers on their
/// schedules) but in Production, on the embedded store and in-memory topic, with the benchmark's bare function compiled
/// in and a signing key of the driver's own. What a load driver talks to over loopback: requests go
/// client → host (routing, an invocation over gRPC, the request forwarded) → worker, as in Azure.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private const string Issuer = "partnerbase-load";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    // The app's timers run every 5 s (local.settings.sample.json); an idle second costs it about 10 ms, one in which
    // the relay or a consumer works through a batch 100 ms and more.
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(11);
    private static readonly TimeSpan IdleSecondLimit = TimeSpan.FromMilliseconds(60);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(5);

    private readonly byte[] _signingKey = RandomNumberGenerator.GetBytes(32);
    private Process _host = null!;
    private Process _worker = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<AppProcess> StartAsync()
    {
        var built = await AppBuild.WithBenchmarkFunctionsAsync();
        var app = new AppProcess();
        var port = FreePort();
        var start = new ProcessStartInfo(AppBuild.Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { built.HostAssembly, "--app", built.AppDirectory, "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(argument);
        }

        // The host passes its environment on to the worker it starts, and resolves the timers' %…Schedule% from it:
        // the local settings of the sample, then the benchmark's own.
        foreach (var inherited in new[] { "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT", "ASPNETCORE_URLS" })
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (name, value) in AppBuild.LocalSettingsSample())
        {
            start.Environment[name] = value;
        }

        start.Environment["AZURE_FUNCTIONS_ENVIRONMENT"] = "Production";
        start.Environment["Storage__Provider"] = "memory";
        start.Environment["Events__Transport"] = "memory";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Authentication__Schemes__Bearer__ValidIssuer"] = Issuer;
        start.Environment["Authentication__Schemes__Bearer__ValidAudiences__0"] = Issuer;
        start.Environment["Authentication__Schemes__Bearer__SigningKeys__0__Issuer"] = Issuer;
        start.Environment["Authentication__Schemes__Bearer__SigningKeys__0__Value"] = Convert.ToBase64String(app._signingKey);
        app._host = Process.Start(start) ?? throw new InvalidOperationException("Could not start the local Functions host.");

        // The host writes a line per invocation to stdout: drained, not kept (a pipe left full would stall it). Errors,
        // its own and the worker's (a function that failed, with its exception), go to stderr: shown as they come.
        _ = app._host.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        app._host.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                Console.Error.WriteLine($"app: {line.Data}");
            }
        };
        app._host.BeginErrorReadLine();

        app.BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        try
        {
            await app.WaitForHealthAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        if (ChildOf(app._host.Id) is not { } worker)
        {
            await app.DisposeAsync();
            throw new InvalidOperationException("The app answers, but the host has no worker process.");
        }

        app._worker = worker;
        return app;
    }

    /// <summary>A client with keep-alive connections (up to <paramref name="connections"/>) and a token for the user.</summary>
    public HttpClient Client(string orgId, string userId, string[] roles, int connections = 64)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseCookies = false };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Issuer,
            Claims = new Dictionary<string, object> { ["org_id"] = orgId, ["sub"] = userId, ["role"] = roles },
            Expires = DateTime.UtcNow.AddHours(2),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(_signingKey), SecurityAlgorithms.HmacSha256),
        });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The worker's working set: the app itself, with the store it holds.</summary>
    public long WorkerWorkingSetBytes()
    {
        _worker.Refresh();
        return _worker.WorkingSet64;
    }

    /// <summary>The local Functions host's working set (in Azure, the platform's process).</summary>
    public long HostWorkingSetBytes()
    {
        _host.Refresh();
        return _host.WorkingSet64;
    }

    /// <summary>
    /// Waits until no second of the last <see cref="IdleWindow"/> — longer than two timer periods — had the host and the
    /// worker use more than <see cref="IdleSecondLimit"/> of processor time: the timers' work (the event relay and the
    /// consumers, a bounded batch per run) is done. At most <see cref="IdleTimeout"/>; returns how long it waited.
    /// </summary>
    public async Task<TimeSpan> WaitForIdleAsync()
    {
        var clock = Stopwatch.StartNew();
        var quietSeconds = 0;
        var cpu = ProcessorTime();
        while (clock.Elapsed < IdleTimeout)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var previous = cpu;
            cpu = ProcessorTime();
            quietSeconds = cpu - previous < IdleSecondLimit ? quietSeconds + 1 : 0;
            if (quietSeconds >= IdleWindow.TotalSeconds)
            {
                return clock.Elapsed;
            }
        }

        Console.Error.WriteLine($"The app was still busy after {IdleTimeout.TotalSeconds:N0} s; measuring anyway.");
        return clock.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        // The worker with it: a host killed on its own would leave its worker running.
        if (!_host.HasExited)
        {
            _host.Kill(entireProcessTree: true);
        }

        await _host.WaitForExitAsync();
        if (_worker is not null)
        {
            // Not this process's child: its exit is polled for, and an orphan nobody reaps would never be seen to exit.
            await Task.WhenAny(_worker.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(5)));
            _worker.Dispose();
        }

        _host.Dispose();
    }

    private TimeSpan ProcessorTime()
    {
        _host.Refresh();
        _worker.Refresh();
        return _host.TotalProcessorTime + _worker.TotalProcessorTime;
    }

    private async Task WaitForHealthAsync()
    {
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await probe.GetAsync("/api/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // The host listens only once the worker has loaded every function.
            }

            if (_host.HasExited || clock.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException(
                    $"The app did not answer /api/health {(_host.HasExited ? $"(the host exited with {_host.ExitCode})" : $"within {StartTimeout.TotalSeconds:N0} s")}; its errors are above.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A process whose parent is <paramref name="parentId"/> (Linux: /proc/&lt;pid&gt;/stat).</summary>
    private static Process? ChildOf(int parentId)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue;
            }

            // "pid (comm) state ppid …": the command may hold spaces and parentheses, so read after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(fields[1], CultureInfo.InvariantCulture) == parentId)
            {
                try
                {
                    return Process.GetProcessById(id);
                }
                catch (ArgumentException)
                {
                    // Gone already.
                }
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
