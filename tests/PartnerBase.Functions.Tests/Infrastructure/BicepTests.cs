using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace PartnerBase.Functions.Tests.Infrastructure;

/// <summary>
/// infra/bicep/main.bicep compiles and lints clean with the Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64,
/// restored with this project; its path comes in as assembly metadata), and the ARM template it produces keeps
/// the promises the app relies on: Entra ID only, no keys in settings, the payments subscription's one filter.
/// </summary>
public sealed class BicepTests(BicepTests.CompiledTemplate compiled) : IClassFixture<BicepTests.CompiledTemplate>
{
    [Fact]
    public void Build_SucceedsWithoutWarnings()
    {
        var build = compiled.Build;

        Assert.True(build.ExitCode == 0 && build.StandardError.Length == 0, build.Describe());
        Assert.Equal(JsonValueKind.Object, compiled.Template.ValueKind);
    }

    [Fact]
    public async Task Lint_ReportsNoDiagnostics()
    {
        // `bicep lint` exits 0 even with warnings: no output at all is the only clean result.
        var lint = await BicepCli.RunAsync(["lint", BicepCli.MainTemplatePath], TestContext.Current.CancellationToken);

        Assert.True(lint.ExitCode == 0 && lint.StandardOutput.Length == 0 && lint.StandardError.Length == 0, lint.Describe());
    }

    [Fact]
    public void DataServices_AcceptOnlyEntraId()
    {
        var cosmos = Assert.Single(compiled.Resources("Microsoft.DocumentDB/databaseAccounts"));
        var serviceBus = Assert.Single(compiled.Resources("Microsoft.ServiceBus/namespaces"));
        var storage = Assert.Single(compiled.Resources("Microsoft.Storage/storageAccounts"));

        Assert.True(cosmos.GetProperty("properties").GetProperty("disableLocalAuth").GetBoolean(), "Cosmos DB account keys are enabled");
        Assert.True(serviceBus.GetProperty("properties").GetProperty("disableLocalAuth").GetBoolean(), "Service Bus SAS keys are enabled");
        Assert.False(storage.GetProperty("properties").GetProperty("allowSharedKeyAccess").GetBoolean(), "storage shared keys are enabled");
    }

    [Fact]
    public void AppSettings_UseIdentityConnectionsAndHoldNoKeys()
    {
        // Nothing in the template reads a key or connection string from a resource.
        Assert.DoesNotContain("listKeys(", compiled.Json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("listConnectionStrings(", compiled.Json, StringComparison.OrdinalIgnoreCase);

        // The settings object is one ARM expression (a union of literal names and values).
        var appSettings = Assert.Single(compiled.Resources("Microsoft.Web/sites/config"), r => r.GetProperty("name").GetString()!.Contains("'appsettings'", StringComparison.Ordinal));
        var settings = compiled.ModuleParameterValue(appSettings, "settings");
        Assert.DoesNotContain("AccountKey=", settings, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("SharedAccessKey=", settings, StringComparison.OrdinalIgnoreCase);

        // The identity-based connections the triggers and the host use (functions/*/function.json, host storage).
        string[] identityConnections = ["AzureWebJobsStorage__accountName", "CosmosDb__accountEndpoint", "ServiceBusConnection__fullyQualifiedNamespace", "Cosmos__Endpoint", "ServiceBus__FullyQualifiedNamespace"];
        Assert.All(identityConnections, name => Assert.Contains($"'{name}'", settings, StringComparison.Ordinal));

        // Flex Consumption rejects these; the runtime comes from functionAppConfig.
        string[] notOnFlex = ["AzureWebJobsStorage", "FUNCTIONS_EXTENSION_VERSION", "FUNCTIONS_WORKER_RUNTIME", "WEBSITE_RUN_FROM_PACKAGE"];
        Assert.All(notOnFlex, name => Assert.DoesNotContain($"'{name}'", settings, StringComparison.Ordinal));
    }

    [Fact]
    public void PaymentsSubscription_OnlyRuleIsTheApprovedFilter()
    {
        // The rule is written under the name of the catch-all rule every subscription starts with, replacing it.
        var rule = Assert.Single(compiled.Resources("Microsoft.ServiceBus/namespaces/topics/subscriptions/rules"));
        var name = rule.GetProperty("name").GetString()!;
        Assert.Contains("'payments'", name, StringComparison.Ordinal);
        Assert.Contains("'$Default'", name, StringComparison.Ordinal);

        var properties = rule.GetProperty("properties");
        Assert.Equal("SqlFilter", properties.GetProperty("filterType").GetString());
        Assert.Equal("eventType IN ('com.partnerbase.payout.approved', 'com.partnerbase.payout.processing')", properties.GetProperty("sqlFilter").GetProperty("sqlExpression").GetString());

        var topic = Assert.Single(compiled.Resources("Microsoft.ServiceBus/namespaces/topics"));
        Assert.True(topic.GetProperty("properties").GetProperty("requiresDuplicateDetection").GetBoolean(), "the topic must drop re-sent events (MessageId = event id)");
    }

    /// <summary>`bicep build --stdout` of main.bicep, run once for the class.</summary>
    public sealed class CompiledTemplate : IAsyncLifetime
    {
        private JsonDocument? _document;

        public BicepCli.Result Build { get; private set; } = new(-1, "", "");

        public string Json => Build.StandardOutput;

        public JsonElement Template => _document?.RootElement ?? throw new InvalidOperationException(Build.Describe());

        public async ValueTask InitializeAsync()
        {
            Build = await BicepCli.RunAsync(["build", BicepCli.MainTemplatePath, "--stdout"], CancellationToken.None);
            if (Build.ExitCode == 0)
            {
                _document = JsonDocument.Parse(Build.StandardOutput);
            }
        }

        public ValueTask DisposeAsync()
        {
            _document?.Dispose();
            return ValueTask.CompletedTask;
        }

        /// <summary>Every resource of the type, in the main template and in every module (nested deployment).</summary>
        public IEnumerable<JsonElement> Resources(string type) =>
            AllResources(Template).Where(r => string.Equals(r.GetProperty("type").GetString(), type, StringComparison.OrdinalIgnoreCase));

        /// <summary>The raw value (an ARM expression) that the main template passes to the module declaring the resource.</summary>
        public string ModuleParameterValue(JsonElement resource, string parameter)
        {
            var module = Assert.Single(
                AllResources(Template).Where(r => r.GetProperty("type").GetString() == "Microsoft.Resources/deployments"),
                d => ResourceList(d.GetProperty("properties").GetProperty("template")).Any(r => r.GetRawText() == resource.GetRawText()));
            return module.GetProperty("properties").GetProperty("parameters").GetProperty(parameter).GetProperty("value").ToString();
        }

        private static IEnumerable<JsonElement> AllResources(JsonElement template)
        {
            foreach (var resource in ResourceList(template))
            {
                yield return resource;
                if (resource.GetProperty("type").GetString() == "Microsoft.Resources/deployments"
                    && resource.GetProperty("properties").TryGetProperty("template", out var nested))
                {
                    foreach (var inner in AllResources(nested))
                    {
                        yield return inner;
                    }
                }
            }
        }

        // Classic templates list resources in an array; languageVersion 2.0 keys them by symbolic name.
        private static IEnumerable<JsonElement> ResourceList(JsonElement template) =>
            template.TryGetProperty("resources", out var resources)
                ? resources.ValueKind == JsonValueKind.Array ? resources.EnumerateArray() : resources.EnumerateObject().Select(p => p.Value)
                : [];
    }
}

/// <summary>The Bicep CLI binary from the NuGet package, run against the repository's templates.</summary>
public static class BicepCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private static readonly Lazy<string> RepoRoot = new(FindRepoRoot);

    public static string MainTemplatePath => Path.Combine(RepoRoot.Value, "infra", "bicep", "main.bicep");

    public static async Task<Result> RunAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var executable = Executable();
        var startInfo = new ProcessStartInfo(executable)
        {
            WorkingDirectory = RepoRoot.Value,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{executable} did not start");
        try
        {
            var standardOutput = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var standardError = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return new Result(process.ExitCode, (await standardOutput).Trim(), (await standardError).Trim(), $"bicep {string.Join(' ', arguments)}");
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    /// <summary>The binary restored with the test project; NuGet does not always keep its execute bit.</summary>
    private static string Executable()
    {
        Assert.True(OperatingSystem.IsLinux() && RuntimeInformation.OSArchitecture == Architecture.X64, "the Bicep CLI package referenced is the linux-x64 one");
        var path = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == "BicepCliPath")?.Value;
        Assert.False(string.IsNullOrEmpty(path), "no BicepCliPath assembly metadata: see the Azure.Bicep.CommandLine.linux-x64 reference in the test project");
        Assert.True(File.Exists(path), $"the Bicep CLI is not at {path}: restore the test project (dotnet restore)");
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            if ((mode & UnixFileMode.UserExecute) == 0)
            {
                File.SetUnixFileMode(path, mode | execute);
            }
        }

        return path;
    }

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

    public sealed record Result(int ExitCode, string StandardOutput, string StandardError, string Command = "bicep")
    {
        /// <summary>What the CLI said, for assertion messages.</summary>
        public string Describe() =>
            $"`{Command}` exited with {ExitCode}.{Environment.NewLine}stderr:{Environment.NewLine}{StandardError}"
            + (StandardOutput.Length is > 0 and < 4000 ? $"{Environment.NewLine}stdout:{Environment.NewLine}{StandardOutput}" : "");
    }
}
