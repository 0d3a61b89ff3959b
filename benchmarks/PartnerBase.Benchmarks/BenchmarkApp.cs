using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
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
    private readonly Worker _worker;

    private BenchmarkApp(LocalFunctionsHost host, Worker worker)
    {
        _host = host;
        _worker = worker;
    }

    /// <summary>The worker's services (the store, the Cosmos request counter, …).</summary>
    public IServiceProvider Services => _worker.Services;

    public static async Task<BenchmarkApp> StartAsync(IReadOnlyDictionary<string, string> settings)
    {
        var launcher = new InProcessLauncher(settings);
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
        return new BenchmarkApp(host, launcher.Worker!);
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

    /// <summary>Builds the worker inside this process instead of starting <c>dotnet PartnerBase.Functions.dll</c>.</summary>
    private sealed class InProcessLauncher(IReadOnlyDictionary<string, string> settings) : IWorkerLauncher
    {
        public Worker? Worker { get; private set; }

        public Task<IFunctionsWorker> StartAsync(WorkerStartInfo start, CancellationToken cancellationToken)
        {
            // What the worker reads from the process rather than from its configuration: its entry assembly (to find
            // its source-generated function metadata and executor), the app folder and its environment.
            Assembly.SetEntryAssembly(typeof(Functions.Program).Assembly);
            Environment.SetEnvironmentVariable("FUNCTIONS_APPLICATION_DIRECTORY", start.AppDirectory);
            Environment.SetEnvironmentVariable("AZURE_FUNCTIONS_ENVIRONMENT", start.Environment["AZURE_FUNCTIONS_ENVIRONMENT"]);
            var worker = new Worker(start, settings);
            try
            {
                worker.StartServer();
            }
            catch
            {
                worker.Dispose();
                throw;
            }

            Worker = worker;
            return Task.FromResult<IFunctionsWorker>(worker);
        }
    }

    /// <summary>
    /// The worker: the app's host built by WebApplicationFactory with the settings the Functions host gives a worker
    /// process, serving HTTP with Kestrel, as in Azure.
    /// </summary>
    private sealed class Worker : WebApplicationFactory<Functions.Program>, IFunctionsWorker
    {
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly WorkerStartInfo _start;
        private readonly IReadOnlyDictionary<string, string> _settings;

        public Worker(WorkerStartInfo start, IReadOnlyDictionary<string, string> settings)
        {
            _start = start;
            _settings = settings;
            UseKestrel(0);
        }

        /// <summary>To the port the worker's server took (it advertises one of its own choosing, which it did not bind).</summary>
        public HttpMessageHandler? HttpHandler => new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var address = new Uri(Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, address.Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };

        public Task<int> Exited => _exited.Task;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Functions:Worker:HostEndpoint", _start.HostEndpoint.ToString());
            builder.UseSetting("Functions:Worker:WorkerId", _start.WorkerId);
            builder.UseSetting("Functions:Worker:RequestId", _start.RequestId);
            builder.UseSetting("Functions:Worker:GrpcMaxMessageLength", int.MaxValue.ToString(CultureInfo.InvariantCulture));
            foreach (var (name, value) in _start.Environment)
            {
                // As environment variables are read: Section__Key is Section:Key.
                builder.UseSetting(name.Replace("__", ":", StringComparison.Ordinal), value);
            }

            builder.UseSetting("Authentication:Schemes:Bearer:ValidIssuer", Issuer);
            builder.UseSetting("Authentication:Schemes:Bearer:ValidAudiences:0", Issuer);
            builder.UseSetting("Authentication:Schemes:Bearer:SigningKeys:0:Issuer", Issuer);
            builder.UseSetting("Authentication:Schemes:Bearer:SigningKeys:0:Value", Convert.ToBase64String(SigningKey));
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in _settings)
            {
                builder.UseSetting(key, value);
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            _exited.TrySetResult(0);
        }
    }
}
