using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PartnerBase.CosmosLocal;

namespace PartnerBase.Benchmarks;

/// <summary>
/// The app as its own process (the Release build beside this benchmark), on the embedded store, with the benchmark's
/// bare endpoint on and a signing key of the driver's own: what a load driver talks to over loopback.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private const string Issuer = "partnerbase-load";
    private readonly byte[] _signingKey = RandomNumberGenerator.GetBytes(32);
    private Process _process = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public Process Process => _process;

    public static async Task<AppProcess> StartAsync()
    {
        var app = new AppProcess();
        var port = FreePort();
        var dll = Path.Combine(LocalCosmosServer.RepositoryRoot(), "src", "Functions", "bin", "Release", "net10.0", "PartnerBase.Functions.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: run this benchmark with -c Release (it builds the app too).");
        }

        var start = new ProcessStartInfo("dotnet", $"\"{dll}\"") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["Benchmarks__BareEndpoint"] = "true";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Authentication__Schemes__Bearer__ValidIssuer"] = Issuer;
        start.Environment["Authentication__Schemes__Bearer__ValidAudiences__0"] = Issuer;
        start.Environment["Authentication__Schemes__Bearer__SigningKeys__0__Issuer"] = Issuer;
        start.Environment["Authentication__Schemes__Bearer__SigningKeys__0__Value"] = Convert.ToBase64String(app._signingKey);
        app._process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the app.");
        _ = app._process.StandardOutput.ReadToEndAsync();
        var errors = app._process.StandardError.ReadToEndAsync();
        app.BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        using var probe = new HttpClient { BaseAddress = app.BaseAddress };
        for (var waited = 0; ; waited += 50)
        {
            try
            {
                if ((await probe.GetAsync("/api/health")).IsSuccessStatusCode)
                {
                    return app;
                }
            }
            catch (HttpRequestException) when (waited < 30_000 && !app._process.HasExited)
            {
            }

            if (waited >= 30_000 || app._process.HasExited)
            {
                throw new InvalidOperationException($"The app did not start: {await errors}");
            }

            await Task.Delay(50);
        }
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

    public long WorkingSetBytes()
    {
        _process.Refresh();
        return _process.WorkingSet64;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
