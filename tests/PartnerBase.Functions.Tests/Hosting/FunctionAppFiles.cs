using System.Text.Json;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// The files that make the app an Azure Functions custom handler (CONTRACT.md §7): host.json and
/// functions/&lt;Name&gt;/function.json at the repository root, local.settings.sample.json beside them.
/// </summary>
internal static class FunctionAppFiles
{
    /// <summary>Every function the app declares; the HTTP one is forwarded, the others are POSTed to /{Name}.</summary>
    public static readonly string[] FunctionNames = ["Api", "CommissionRun", "PublishEvents", "ProcessPayment", "SendNotifications"];

    public static readonly string[] NonHttpFunctionNames = [.. FunctionNames.Where(name => name != "Api")];

    /// <summary>
    /// What the app needs to start as the host starts it: the port, and the settings every deployment has (a Service
    /// Bus namespace to publish to; it is not contacted at start-up).
    /// </summary>
    public static Dictionary<string, string> HostEnvironment(int port) => new(StringComparer.Ordinal)
    {
        ["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["ServiceBus__FullyQualifiedNamespace"] = "partnerbase-tests.servicebus.windows.net",
        ["ServiceBus__TopicName"] = "payout-events",
    };

    private static readonly Lazy<string> Root = new(FindRepoRoot);

    public static string RepoRoot => Root.Value;

    public static string HostJsonPath => Path.Combine(RepoRoot, "host.json");

    public static string FunctionsDirectory => Path.Combine(RepoRoot, "functions");

    public static string LocalSettingsSamplePath => Path.Combine(RepoRoot, "local.settings.sample.json");

    public static string FunctionJsonPath(string functionName) => Path.Combine(FunctionsDirectory, functionName, "function.json");

    public static JsonElement Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    public static JsonElement HostJson() => Read(HostJsonPath);

    public static JsonElement FunctionJson(string functionName) => Read(FunctionJsonPath(functionName));

    /// <summary>The "Values" of local.settings.sample.json (Core Tools format).</summary>
    public static IReadOnlyDictionary<string, string> LocalSettingsSample() =>
        Read(LocalSettingsSamplePath).GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);

    /// <summary>The function's trigger: its one binding whose type ends in "Trigger".</summary>
    public static JsonElement Trigger(JsonElement functionJson) =>
        Assert.Single(functionJson.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PartnerBase.Functions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No PartnerBase.Functions.sln above {AppContext.BaseDirectory}");
    }
}
