using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PartnerBase.FunctionsLocal;

/// <summary>The app folder's local.settings.json and host.json, as far as a local host needs them.</summary>
internal sealed partial class AppSettings
{
    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    private AppSettings(Dictionary<string, string> values, int? localHttpPort, IReadOnlyList<string> corsOrigins, bool corsCredentials, string routePrefix)
    {
        Values = values;
        LocalHttpPort = localHttpPort;
        CorsOrigins = corsOrigins;
        CorsCredentials = corsCredentials;
        RoutePrefix = routePrefix;
    }

    /// <summary>local.settings.json <c>Values</c>, overridden by the environment, then by the options.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    public int? LocalHttpPort { get; }

    /// <summary>local.settings.json <c>Host.CORS</c>: comma-separated origins.</summary>
    public IReadOnlyList<string> CorsOrigins { get; }

    public bool CorsCredentials { get; }

    /// <summary>host.json <c>extensions.http.routePrefix</c> without slashes; <c>api</c> when absent.</summary>
    public string RoutePrefix { get; }

    public static AppSettings Load(string appDirectory, IReadOnlyDictionary<string, string> overrides)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int? localHttpPort = null;
        string[] corsOrigins = [];
        var corsCredentials = false;

        using (var localSettings = ReadJson(Path.Combine(appDirectory, "local.settings.json")))
        {
            var root = localSettings?.RootElement;
            if (TryGetObject(root, "Values") is { } valuesElement)
            {
                foreach (var property in valuesElement.EnumerateObject())
                {
                    values[property.Name] = property.Value.ValueKind == JsonValueKind.String
                        ? property.Value.GetString()!
                        : property.Value.GetRawText();
                }
            }

            if (TryGetObject(root, "Host") is { } host)
            {
                if (TryGetProperty(host, "LocalHttpPort") is { } port
                    && int.TryParse(port.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsedPort))
                {
                    localHttpPort = parsedPort;
                }

                if (TryGetProperty(host, "CORS") is { ValueKind: JsonValueKind.String } cors)
                {
                    corsOrigins = cors.GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                }

                corsCredentials = TryGetProperty(host, "CORSCredentials") is { ValueKind: JsonValueKind.True };
            }
        }

        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var name = (string)variable.Key;
            if (values.ContainsKey(name))
            {
                values[name] = (string?)variable.Value ?? string.Empty;
            }
        }

        foreach (var (name, value) in overrides)
        {
            values[name] = value;
        }

        return new AppSettings(values, localHttpPort, corsOrigins, corsCredentials, ReadRoutePrefix(appDirectory));
    }

    /// <summary>The app setting, else the environment variable (as <c>%Name%</c> resolves); null when neither is set.</summary>
    public string? Get(string name) =>
        Values.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name);

    /// <summary>Replaces each <c>%Name%</c> with the app setting (or environment variable) of that name.</summary>
    public string Resolve(string text, string usedBy) =>
        SettingReference().Replace(text, match =>
        {
            var name = match.Groups[1].Value;
            return Values.TryGetValue(name, out var value) ? value
                : Environment.GetEnvironmentVariable(name) ?? throw new InvalidOperationException(
                    $"{usedBy} refers to the app setting '{name}', which is set neither in local.settings.json Values nor in the environment.");
        });

    private static string ReadRoutePrefix(string appDirectory)
    {
        using var hostJson = ReadJson(Path.Combine(appDirectory, "host.json"));
        var http = TryGetObject(TryGetObject(hostJson?.RootElement, "extensions"), "http");
        return http is { } element && TryGetProperty(element, "routePrefix") is { ValueKind: JsonValueKind.String } prefix
            ? prefix.GetString()!.Trim('/')
            : "api";
    }

    private static JsonDocument? ReadJson(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{path} is not valid JSON: {e.Message}", e);
        }
    }

    private static JsonElement? TryGetObject(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } parent && TryGetProperty(parent, name) is { ValueKind: JsonValueKind.Object } child
            ? child
            : null;

    // host.json and local.settings.json are read case-insensitively by the Functions host and worker.
    private static JsonElement? TryGetProperty(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingReference();
}
