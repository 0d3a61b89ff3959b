using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing.Patterns;
using PartnerBase.FunctionsLocal.Rpc;
using Yarp.ReverseProxy.Forwarder;

namespace PartnerBase.FunctionsLocal;

/// <summary>
/// The public HTTP listener: routes requests to HTTP functions and forwards them to the worker's own HTTP
/// server, as the Functions host does for workers that advertise <c>HttpUri</c>; plus the admin route.
/// </summary>
internal sealed class HttpFront : IAsyncDisposable
{
    private const string InvocationIdHeader = "x-ms-invocation-id";

    // The Functions host's request length limit.
    private const long MaxRequestBodySize = 100 * 1024 * 1024;

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly WorkerChannel _channel;
    private readonly TriggerRunner _triggers;
    private readonly string _destination;
    private readonly HttpMessageInvoker _invoker;
    private readonly ILogger _logger;

    // As the Functions host's DefaultHttpProxyService.
    private readonly ForwarderRequestConfig _requestConfig = new() { ActivityTimeout = TimeSpan.FromSeconds(240) };
    private readonly LocalConsole? _console;
    private readonly DevelopmentSignIn? _signIn;
    private WebApplication? _app;

    private HttpFront(WorkerChannel channel, TriggerRunner triggers, Uri workerHttpUri, HttpMessageHandler? workerHandler, LocalConsole? console, DevelopmentSignIn? signIn, ILogger logger)
    {
        _console = console;
        _signIn = signIn;
        _channel = channel;
        _triggers = triggers;
        _destination = workerHttpUri.ToString();
        _logger = logger;
        _invoker = workerHandler is null
            ? new HttpMessageInvoker(new SocketsHttpHandler
            {
                UseProxy = false,
                UseCookies = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
            })
            : new HttpMessageInvoker(workerHandler, disposeHandler: false);
    }

    public IReadOnlyList<Uri> Addresses { get; private set; } = [];

    public static async Task<HttpFront> StartAsync(
        IReadOnlyList<string> urls,
        IReadOnlyList<string> corsOrigins,
        bool corsCredentials,
        IEnumerable<IndexedFunction> functions,
        WorkerChannel channel,
        TriggerRunner triggers,
        Uri workerHttpUri,
        HttpMessageHandler? workerHandler,
        LocalConsole? console,
        DevelopmentSignIn? signIn,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var front = new HttpFront(channel, triggers, workerHttpUri, workerHandler, console, signIn, loggerFactory.CreateLogger("Host.Http"));
        try
        {
            await front.StartAsync(urls, corsOrigins, corsCredentials, functions, loggerFactory, cancellationToken);
            return front;
        }
        catch
        {
            await front.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            using var stopTimeout = new CancellationTokenSource(StopTimeout);
            await _app.StopAsync(stopTimeout.Token);
            await _app.DisposeAsync();
        }

        _invoker.Dispose();
    }

    private async Task StartAsync(
        IReadOnlyList<string> urls,
        IReadOnlyList<string> corsOrigins,
        bool corsCredentials,
        IEnumerable<IndexedFunction> functions,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(_console?.ApplicationOptions ?? new WebApplicationOptions());
        _console?.Configure(builder);
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseKestrelCore().UseUrls([.. urls]).ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodySize;
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddHttpForwarder();
        builder.Services.AddCors();
        _app = builder.Build();
        if (corsOrigins.Count > 0)
        {
            // Like the Functions host's CORS: the listed origins (or any, for *), any method and header;
            // preflight requests are answered here and never reach the worker.
            _app.UseCors(policy =>
            {
                policy.AllowAnyMethod().AllowAnyHeader();
                if (corsOrigins.Contains("*"))
                {
                    policy.SetIsOriginAllowed(_ => true);
                }
                else
                {
                    policy.WithOrigins([.. corsOrigins]);
                }

                if (corsCredentials)
                {
                    policy.AllowCredentials();
                }
            });
        }

        var forwarder = _app.Services.GetRequiredService<IHttpForwarder>();
        var httpFunctions = functions.Where(f => f.Info.Kind == FunctionKind.Http);

        // One endpoint per route template, so that ASP.NET Core's route precedence picks the template
        // (payouts/stats before payouts/{id}) and the handler picks the function by method.
        foreach (var group in httpFunctions.GroupBy(f => f.Info.Route!, StringComparer.OrdinalIgnoreCase))
        {
            if (group.Key.Equals("admin", StringComparison.OrdinalIgnoreCase) || group.Key.StartsWith("admin/", StringComparison.OrdinalIgnoreCase))
            {
                _logger.ReservedRoute(group.First().Info.Name, group.Key);
                continue;
            }

            var candidates = group.ToArray();
            try
            {
                _app.Map(group.Key, context => ForwardAsync(context, candidates, forwarder));
            }
            catch (RoutePatternException e)
            {
                throw new InvalidOperationException($"Function {candidates[0].Info.Name} has an invalid route '{group.Key}': {e.Message}", e);
            }
        }

        _app.Map("admin/functions/{name}", RunTriggerAsync);
        _console?.Map(_app);
        _signIn?.Map(_app);
        _app.MapFallback(context => _console is { } console && console.IsClientRoute(context.Request)
            ? console.ServeIndexAsync(context)
            : NotFoundAsync(context));

        await _app.StartAsync(cancellationToken);
        Addresses = [.. _app.Urls.Select(url => new Uri(url))];
    }

    private async Task ForwardAsync(HttpContext context, IndexedFunction[] candidates, IHttpForwarder forwarder)
    {
        var method = context.Request.Method;
        var function = Array.Find(candidates, f => f.Info.Methods.Count == 0 || f.Info.Methods.Contains(method, StringComparer.OrdinalIgnoreCase));
        if (function is null)
        {
            // The Functions host answers 404, not 405, when only the method does not match.
            await NotFoundAsync(context);
            return;
        }

        var invocationId = Guid.NewGuid().ToString();
        var started = Stopwatch.GetTimestamp();

        // With HttpUri the request travels over HTTP and the trigger input is an empty RpcHttp
        // (azure-functions-host GrpcMessageConversionExtensions.ToRpcHttp: "keep the grpc message minimal").
        var request = Invocations.CreateRequest(function, invocationId, new TypedData { Http = new RpcHttp() });
        AddTriggerMetadata(request, context.Request);
        var invocation = _channel.InvokeAsync(request);

        var forwardError = await forwarder.SendAsync(context, _destination, _invoker, _requestConfig, new InvocationTransformer(invocationId));

        string? error = null;
        try
        {
            var response = await invocation;
            error = response.Succeeded() ? null : response.Result.Describe();
        }
        catch (IOException e)
        {
            error = e.Message;
        }

        if (forwardError != ForwarderError.None)
        {
            var cause = context.GetForwarderErrorFeature()?.Exception;
            error ??= $"Forwarding the request to the worker failed ({forwardError}): {cause?.Message}";
        }

        Invocations.LogResult(_logger, function.Info.Name, new InvocationResult(invocationId, error is null, error, Stopwatch.GetElapsedTime(started)));
        if (error is not null && !context.Response.HasStarted)
        {
            await WriteProblemAsync(context, StatusCodes.Status500InternalServerError, "The function failed.", error);
        }
    }

    // What the host's HTTP trigger adds as binding data (azure-webjobs-sdk-extensions HttpTriggerAttributeBindingProvider
    // GetRequestBindingDataAsync): query values, route values, then Query and Headers as JSON. The body's JSON
    // properties are left out: this host streams the body to the worker and never reads it.
    private static void AddTriggerMetadata(InvocationRequest request, HttpRequest http)
    {
        var metadata = request.TriggerMetadata;
        foreach (var (name, value) in http.Query)
        {
            if (!name.Equals("code", StringComparison.OrdinalIgnoreCase))
            {
                metadata[name] = new TypedData { String = value.ToString() };
            }
        }

        foreach (var (name, value) in http.RouteValues)
        {
            metadata[name] = new TypedData { String = Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty };
        }

        if (!metadata.ContainsKey("Query"))
        {
            metadata["Query"] = new TypedData { Json = Invocations.ToJson(http.Query) };
        }

        if (!metadata.ContainsKey("Headers"))
        {
            metadata["Headers"] = new TypedData { Json = Invocations.ToJson(http.Headers) };
        }
    }

    // Core Tools' admin route for running a non-HTTP function: 202 at once, the run goes on in the background.
    private async Task RunTriggerAsync(HttpContext context)
    {
        var name = (string)context.Request.RouteValues["name"]!;
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!_triggers.Contains(name))
        {
            await WriteProblemAsync(context, StatusCodes.Status404NotFound, "Function not found.", $"There is no non-HTTP function named '{name}'.");
            return;
        }

        string? input = null;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            try
            {
                using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
                if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("input", out var value))
                {
                    input = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
                }
            }
            catch (JsonException e)
            {
                await WriteProblemAsync(context, StatusCodes.Status400BadRequest, "The body is not JSON.", e.Message);
                return;
            }
        }

        _ = _triggers.RunAsync(name, input, "This function was programmatically called via the host APIs.", CancellationToken.None);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    // YARP's default transforms (X-Forwarded-For/Host/Proto, no original Host) plus the header through which the
    // worker pairs the request with its invocation (azure-functions-host DefaultHttpProxyService; the worker's
    // DefaultHttpCoordinator).
    private sealed class InvocationTransformer(string invocationId) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await Default.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Remove(InvocationIdHeader);
            proxyRequest.Headers.TryAddWithoutValidation(InvocationIdHeader, invocationId);
        }

        public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken) =>
            Default.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);

        public override ValueTask TransformResponseTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken) =>
            Default.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken);
    }

    // Azure's host answers an unknown route with a bare 404; here it is a problem with the code the API's own 404s
    // carry (CONTRACT §1), so that a client sees one shape of error locally.
    private static Task NotFoundAsync(HttpContext context) =>
        Results.Problem("No function serves this route and method.", statusCode: StatusCodes.Status404NotFound, extensions: new Dictionary<string, object?> { ["code"] = "not_found" })
            .ExecuteAsync(context);

    private static Task WriteProblemAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.Clear();
        return Results.Problem(detail, statusCode: status, title: title).ExecuteAsync(context);
    }
}
