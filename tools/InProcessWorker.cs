using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace PartnerBase.FunctionsLocal;

/// <summary>
/// Starts a Function App's isolated worker inside this process for the local Functions host, as a
/// WebApplicationFactory of the app (so that its services can be read and replaced), serving HTTP with Kestrel on a
/// port of its own. For the tests and benchmarks, which compile this file in; the local host itself does not
/// reference WebApplicationFactory.
/// </summary>
public sealed class InProcessWorkers<TEntryPoint>(Action<IWebHostBuilder>? configure) : IWorkerLauncher
    where TEntryPoint : class
{
    // What the worker reads from the process rather than from its configuration: its entry assembly (to find its
    // source-generated function metadata and executor), the app folder and its environment. One start at a time.
    private static readonly Lock ProcessWide = new();

    public InProcessWorker<TEntryPoint>? Current { get; private set; }

    public Task<IFunctionsWorker> StartAsync(WorkerStartInfo start, CancellationToken cancellationToken)
    {
        var worker = new InProcessWorker<TEntryPoint>(start, configure);
        lock (ProcessWide)
        {
            Assembly.SetEntryAssembly(typeof(TEntryPoint).Assembly);
            Environment.SetEnvironmentVariable("FUNCTIONS_APPLICATION_DIRECTORY", start.AppDirectory);
            Environment.SetEnvironmentVariable("AZURE_FUNCTIONS_ENVIRONMENT", start.Environment.GetValueOrDefault("AZURE_FUNCTIONS_ENVIRONMENT"));
            try
            {
                worker.StartServer();
            }
            catch
            {
                worker.Dispose();
                throw;
            }
            finally
            {
                Environment.SetEnvironmentVariable("AZURE_FUNCTIONS_ENVIRONMENT", null);
            }
        }

        Current = worker;
        return Task.FromResult<IFunctionsWorker>(worker);
    }
}

/// <summary>One worker: the app's host built with the settings the Functions host gives a worker process.</summary>
public sealed class InProcessWorker<TEntryPoint> : WebApplicationFactory<TEntryPoint>, IFunctionsWorker
    where TEntryPoint : class
{
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly WorkerStartInfo _start;
    private readonly Action<IWebHostBuilder>? _configure;

    public InProcessWorker(WorkerStartInfo start, Action<IWebHostBuilder>? configure)
    {
        _start = start;
        _configure = configure;
        // A port of its own (Listen overrides the address the worker picked). Not UseKestrel(port): that resets the
        // server's addresses after the app's own thread may have started the server already.
        UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
    }

    /// <summary>
    /// To the port this worker's server took. (It advertises the worker's own choice, which is one per process: the
    /// second worker of a run could not bind it.)
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
        builder.UseSetting("Functions:Worker:HostEndpoint", _start.HostEndpoint.ToString());
        builder.UseSetting("Functions:Worker:WorkerId", _start.WorkerId);
        builder.UseSetting("Functions:Worker:RequestId", _start.RequestId);
        builder.UseSetting("Functions:Worker:GrpcMaxMessageLength", int.MaxValue.ToString(CultureInfo.InvariantCulture));
        foreach (var (name, value) in _start.Environment)
        {
            // As environment variables are read: Section__Key is Section:Key.
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
