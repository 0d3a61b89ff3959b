using Microsoft.AspNetCore.Hosting.StaticWebAssets;

namespace PartnerBase.FunctionsLocal;

/// <summary>
/// A Blazor WebAssembly console served at <c>/</c> beside the functions, as the Static Web Apps CLI does: its static
/// web assets, and <c>index.html</c> for client-side routes.
/// </summary>
internal sealed class LocalConsole
{
    private const string EndpointsSuffix = ".staticwebassets.endpoints.json";
    private const string RuntimeSuffix = ".staticwebassets.runtime.json";

    private readonly string _apiPrefix;
    private RequestDelegate? _serveIndex;

    private LocalConsole(string directory, string endpointsManifest, string routePrefix)
    {
        Directory = directory;
        EndpointsManifest = endpointsManifest;
        _apiPrefix = "/" + routePrefix;
    }

    public string Directory { get; }

    public string EndpointsManifest { get; }

    /// <summary>
    /// Only a build output has the runtime manifest, which maps the assets to their folders (the project's
    /// wwwroot, obj/ and the packages'); a publish folder has them all under wwwroot.
    /// </summary>
    public string? RuntimeManifest =>
        EndpointsManifest[..^EndpointsSuffix.Length] + RuntimeSuffix is var path && File.Exists(path) ? path : null;

    public WebApplicationOptions ApplicationOptions => new() { ContentRootPath = Directory, WebRootPath = Path.Combine(Directory, "wwwroot") };

    /// <summary>The console in <paramref name="directory"/>; null (with a warning) when it has no endpoints manifest.</summary>
    public static LocalConsole? Find(string? directory, string routePrefix, ILogger logger)
    {
        if (string.IsNullOrEmpty(directory))
        {
            return null;
        }

        var fullPath = Path.GetFullPath(directory);
        var manifest = System.IO.Directory.Exists(fullPath)
            ? System.IO.Directory.GetFiles(fullPath, "*" + EndpointsSuffix).Order(StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (manifest is null)
        {
            logger.ConsoleNotFound(fullPath);
            return null;
        }

        return new LocalConsole(fullPath, manifest, routePrefix);
    }

    public void Configure(WebApplicationBuilder builder)
    {
        if (RuntimeManifest is { } runtime)
        {
            builder.Configuration[WebHostDefaults.StaticWebAssetsKey] = runtime;
            StaticWebAssetsLoader.UseStaticWebAssets(builder.Environment, builder.Configuration);
        }
    }

    public void Map(WebApplication app)
    {
        app.MapStaticAssets(EndpointsManifest);

        // As MapFallbackToFile("index.html"), but reached only for the requests IsClientRoute lets through.
        var index = ((IEndpointRouteBuilder)app).CreateApplicationBuilder();
        index.Use(next => context =>
        {
            context.Request.Path = "/index.html";
            context.SetEndpoint(null);
            return next(context);
        });
        index.UseStaticFiles(new StaticFileOptions
        {
            // A stale index.html would load the previous build's fingerprinted scripts.
            OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = "no-cache",
        });
        _serveIndex = index.Build();
    }

    /// <summary>
    /// A page of the console's own router: a GET without a file extension outside the API, admin and sign-in routes
    /// (<c>/.auth</c> is 404 where development sign-in is off).
    /// </summary>
    public bool IsClientRoute(HttpRequest request)
    {
        var path = request.Path;
        return (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            && !IsUnder(path, _apiPrefix)
            && !IsUnder(path, "/admin")
            && !IsUnder(path, "/.auth")
            && !Path.HasExtension(path.Value);
    }

    public Task ServeIndexAsync(HttpContext context) =>
        (_serveIndex ?? throw new InvalidOperationException("The console is not mapped.")).Invoke(context);

    private static bool IsUnder(PathString path, string prefix) =>
        prefix != "/" && path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase);
}
