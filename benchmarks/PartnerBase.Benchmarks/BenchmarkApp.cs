using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PartnerBase.FunctionsLocal;

namespace PartnerBase.Benchmarks;

/// <summary>
/// The app in this process, with the given settings and a signing key of the benchmark's own: the real isolated worker
/// built by WebApplicationFactory (so that its services can be read), started and served by the local Functions host
/// on a loopback port. Requests go client → host → worker, as in Azure.
/// </summary>
public sealed class BenchmarkApp : IAsyncDisposable
{
    private const string Issuer = "partnerbase-benchmarks";
    private static readonly byte[] SigningKey = RandomNumberGenerator.GetBytes(32);

    private readonly LocalFunctionsHost _host;
    private readonly InProcessWorker<Functions.Program> _worker;

    private BenchmarkApp(LocalFunctionsHost host, InProcessWorker<Functions.Program> worker)
    {
        _host = host;
        _worker = worker;
    }

    /// <summary>The worker's services (the store, the Cosmos request counter, …).</summary>
    public IServiceProvider Services => _worker.Services;

    public static async Task<BenchmarkApp> StartAsync(IReadOnlyDictionary<string, string> settings)
    {
        var launcher = new InProcessWorkers<Functions.Program>(builder =>
        {
            builder.UseSetting("Authentication:Schemes:Bearer:ValidIssuer", Issuer);
            builder.UseSetting("Authentication:Schemes:Bearer:ValidAudiences:0", Issuer);
            builder.UseSetting("Authentication:Schemes:Bearer:SigningKeys:0:Issuer", Issuer);
            builder.UseSetting("Authentication:Schemes:Bearer:SigningKeys:0:Value", Convert.ToBase64String(SigningKey));
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        });
        var options = new LocalHostOptions
        {
            // This program's output holds the app's worker.config.json, functions.metadata and host.json (copied with its reference).
            AppDirectory = AppContext.BaseDirectory,
            Urls = ["http://127.0.0.1:0"],
            // The timers' schedules, which the host resolves; the rest are Development's defaults and the given settings.
            Settings = new Dictionary<string, string>(
                AppBuild.LocalSettingsSample().Where(setting => setting.Key.EndsWith("Schedule", StringComparison.Ordinal)), StringComparer.Ordinal)
            {
                ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
            },
            RunTimersOnSchedule = false,
        };
        var host = await LocalFunctionsHost.StartAsync(options, launcher);
        return new BenchmarkApp(host, launcher.Current!);
    }

    public HttpClient ClientFor(string orgId, string userId, params string[] roles)
    {
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Issuer,
            Claims = new Dictionary<string, object> { ["org_id"] = orgId, ["sub"] = userId, ["role"] = roles },
            Expires = DateTime.UtcNow.AddHours(2),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(SigningKey), SecurityAlgorithms.HmacSha256),
        });
        var client = new HttpClient { BaseAddress = _host.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
