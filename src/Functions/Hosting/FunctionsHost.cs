using System.Globalization;

namespace PartnerBase.Functions.Hosting;

/// <summary>
/// Running as an Azure Functions custom handler (ARCHITECTURE.md decision 1): the host starts this executable with
/// the port to listen on in FUNCTIONS_CUSTOMHANDLER_PORT (FUNCTIONS_HTTPWORKER_PORT in older hosts).
/// </summary>
public static class FunctionsHost
{
    public const string PortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";
    public const string LegacyPortVariable = "FUNCTIONS_HTTPWORKER_PORT";

    /// <summary>The port the Functions host gave us, or null when running standalone.</summary>
    public static int? Port(IConfiguration configuration) =>
        int.TryParse(configuration[PortVariable] ?? configuration[LegacyPortVariable], NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;

    /// <summary>Under the host: listen on loopback at its port only. Standalone: the URLs given to dotnet run.</summary>
    public static WebApplicationBuilder UseFunctionsHostPort(this WebApplicationBuilder builder)
    {
        if (Port(builder.Configuration) is { } port)
        {
            builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
        }

        return builder;
    }
}
