using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using PartnerBase.FunctionsLocal;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// The Function App as the tests run it: the real isolated worker, built inside this process by
/// WebApplicationFactory (so tests can replace its services), started and served by the local Functions host on a
/// loopback port. Requests go client → host (routing, invocation over gRPC) → worker, as in Azure.
/// </summary>
public sealed class FunctionApp : IAsyncDisposable
{
    public const string EverySecond = "* * * * * *";

    private readonly LocalFunctionsHost _host;
    private readonly InProcessWorkers _workers;

    private FunctionApp(LocalFunctionsHost host, InProcessWorkers workers)
    {
        _host = host;
        _workers = workers;
    }

    public LocalFunctionsHost Host => _host;

    /// <summary>The worker's services (the store, the clock, …).</summary>
    public IServiceProvider Services => _workers.Current!.Services;

    public Uri BaseAddress => _host.Addresses[0];

    /// <param name="configure">Settings and service replacements for the worker, as with WebApplicationFactory.</param>
    /// <param name="environment">The worker's environment (AZURE_FUNCTIONS_ENVIRONMENT): Development, as under dotnet run.</param>
    /// <param name="corsOrigins">The origins the host allows, as the Function App's CORS setting would.</param>
    /// <param name="runTimers">Whether the host fires the timers (the event relay and consumers every second, as under dotnet run).</param>
    public static async Task<FunctionApp> StartAsync(
        Action<IWebHostBuilder>? configure = null, string environment = "Development", IReadOnlyList<string>? corsOrigins = null, bool runTimers = false)
    {
        var workers = new InProcessWorkers(configure);
        var options = new LocalHostOptions
        {
            AppDirectory = AppContext.BaseDirectory,
            Urls = ["http://127.0.0.1:0"],
            CorsOrigins = corsOrigins ?? [],
            Settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["AZURE_FUNCTIONS_ENVIRONMENT"] = environment,
                ["CommissionRunSchedule"] = "0 0 2 1 * *",
                ["EventRelaySchedule"] = EverySecond,
                ["PaymentsSchedule"] = EverySecond,
                ["NotificationsSchedule"] = EverySecond,
            },
            RunTimersOnSchedule = runTimers,
        };
        var host = await LocalFunctionsHost.StartAsync(options, workers, cancellationToken: TestContext.Current.CancellationToken);
        return new FunctionApp(host, workers);
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
    }

    /// <summary>Starts workers inside the test process, each a WebApplicationFactory of the app.</summary>
    private sealed class InProcessWorkers(Action<IWebHostBuilder>? configure) : IWorkerLauncher
    {
        // What the worker reads from the process rather than from its configuration: its entry assembly (to find its
        // source-generated function metadata and executor), the app folder and its environment. One start at a time.
        private static readonly Lock ProcessWide = new();

        public WorkerFactory? Current { get; private set; }

        public Task<IFunctionsWorker> StartAsync(WorkerStartInfo start, CancellationToken cancellationToken)
        {
            var factory = new WorkerFactory(start, configure);
            lock (ProcessWide)
            {
                Assembly.SetEntryAssembly(typeof(Program).Assembly);
                Environment.SetEnvironmentVariable("FUNCTIONS_APPLICATION_DIRECTORY", start.AppDirectory);
                Environment.SetEnvironmentVariable("AZURE_FUNCTIONS_ENVIRONMENT", start.Environment["AZURE_FUNCTIONS_ENVIRONMENT"]);
                try
                {
                    factory.StartServer();
                }
                catch
                {
                    factory.Dispose();
                    throw;
                }
                finally
                {
                    Environment.SetEnvironmentVariable("AZURE_FUNCTIONS_ENVIRONMENT", null);
                }
            }

            Current = factory;
            return Task.FromResult<IFunctionsWorker>(factory);
        }
    }

    /// <summary>
    /// One worker: the app's host built by WebApplicationFactory with the settings the host gives a worker process,
    /// serving HTTP with Kestrel at the address it tells the host, as in Azure (not an in-memory test server).
    /// </summary>
    public sealed class WorkerFactory : WebApplicationFactory<Program>, IFunctionsWorker
    {
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly WorkerStartInfo _start;
        private readonly Action<IWebHostBuilder>? _configure;

        public WorkerFactory(WorkerStartInfo start, Action<IWebHostBuilder>? configure)
        {
            _start = start;
            _configure = configure;
            // A port of its own (Listen overrides the address the worker picked). Not UseKestrel(port): that resets the
            // server's addresses after the app's own thread may have started the server already.
            UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        }

        /// <summary>
        /// To the port this worker's server took. (It advertises the worker's own choice, which is one per process:
        /// the second worker of a test run could not bind it.)
        /// </summary>
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
            var start = _start;
            builder.UseSetting("Functions:Worker:HostEndpoint", start.HostEndpoint.ToString());
            builder.UseSetting("Functions:Worker:WorkerId", start.WorkerId);
            builder.UseSetting("Functions:Worker:RequestId", start.RequestId);
            builder.UseSetting("Functions:Worker:GrpcMaxMessageLength", int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var (name, value) in start.Environment)
            {
                // As environment variables do: Section__Key is Section:Key.
                builder.UseSetting(name.Replace("__", ":", StringComparison.Ordinal), value);
            }

            _configure?.Invoke(builder);
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            _exited.TrySetResult(0);
        }
    }
}
