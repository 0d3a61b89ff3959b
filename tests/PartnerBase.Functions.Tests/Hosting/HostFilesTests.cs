using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using NCrontab;
using static PartnerBase.Functions.Tests.Hosting.FunctionAppFiles;

namespace PartnerBase.Functions.Tests.Hosting;

/// <summary>
/// We cannot run the Functions host here (ARCHITECTURE.md decision 1), so the files it reads are checked against
/// what it documents: host.json, every function.json, and the settings they refer to.
/// </summary>
public sealed partial class HostFilesTests
{
    // The keys the host binds from host.json's "customHandler" (azure-functions-host, HttpWorkerOptionsSetup).
    private static readonly string[] CustomHandlerKeys = ["description", "enableProxyingHttpRequest", "enableForwardingHttpRequest", "port", "http"];

    // Function-level retry policies are honoured only for these triggers
    // (learn.microsoft.com/azure/azure-functions/functions-bindings-error-pages#retries).
    private static readonly string[] TriggersWithRetry = ["timerTrigger", "cosmosDBTrigger", "eventHubTrigger", "kafkaTrigger"];

    public static TheoryData<string> Functions => [.. FunctionNames];

    [Fact]
    public void HostJson_Version_Is2()
    {
        Assert.Equal("2.0", HostJson().GetProperty("version").GetString());
    }

    [Fact]
    public void HostJson_ExtensionBundle_IsVersion4()
    {
        var bundle = HostJson().GetProperty("extensionBundle");

        Assert.Equal("Microsoft.Azure.Functions.ExtensionBundle", bundle.GetProperty("id").GetString());
        Assert.Equal("[4.*, 5.0.0)", bundle.GetProperty("version").GetString());
    }

    [Fact]
    public void HostJson_CustomHandler_HasOnlyKnownKeysAndAnExecutable()
    {
        var customHandler = HostJson().GetProperty("customHandler");

        foreach (var property in customHandler.EnumerateObject())
        {
            Assert.Contains(property.Name, CustomHandlerKeys);
        }

        if (customHandler.TryGetProperty("http", out var http))
        {
            Assert.All(http.EnumerateObject(), p => Assert.Equal("defaultAuthorizationLevel", p.Name));
        }

        var executable = customHandler.GetProperty("description").GetProperty("defaultExecutablePath").GetString();
        Assert.False(string.IsNullOrWhiteSpace(executable));
        // The API is forwarded as plain HTTP, not wrapped in the invocation payload.
        Assert.True(customHandler.GetProperty("enableProxyingHttpRequest").GetBoolean());
    }

    [Fact]
    public void HostJson_HttpRoutePrefix_IsTheDefaultApi()
    {
        // The app serves /api/...: the host forwards a request at its original path, prefix included, so the
        // prefix must stay the default "api".
        var hostJson = HostJson();

        var routePrefix = hostJson.TryGetProperty("extensions", out var extensions) && extensions.TryGetProperty("http", out var http) && http.TryGetProperty("routePrefix", out var prefix)
            ? prefix.GetString()
            : "api";
        Assert.Equal("api", routePrefix);
    }

    [Fact]
    public void HostJson_FunctionTimeout_IsWithinWhatFlexConsumptionAllows()
    {
        // Flex Consumption: default 30 minutes, no enforced maximum; the value must be a TimeSpan (or absent).
        if (HostJson().TryGetProperty("functionTimeout", out var timeout))
        {
            Assert.True(TimeSpan.TryParse(timeout.GetString(), CultureInfo.InvariantCulture, out var value), $"functionTimeout {timeout} is not hh:mm:ss");
            Assert.InRange(value, TimeSpan.FromMinutes(1), TimeSpan.FromHours(24));
        }
    }

    [Fact]
    public void Functions_Folders_AreExactlyTheFive()
    {
        var folders = Directory.GetDirectories(FunctionsDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal);

        Assert.Equal(FunctionNames.Order(StringComparer.Ordinal), folders);
        Assert.All(FunctionNames, name => Assert.True(File.Exists(FunctionJsonPath(name)), $"{name}/function.json is missing"));
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void FunctionJson_EveryBinding_HasTypeDirectionAndName(string function)
    {
        var bindings = FunctionJson(function).GetProperty("bindings").EnumerateArray().ToList();

        Assert.NotEmpty(bindings);
        foreach (var binding in bindings)
        {
            Assert.False(string.IsNullOrEmpty(binding.GetProperty("type").GetString()), $"{function}: a binding without type");
            Assert.Contains(binding.GetProperty("direction").GetString(), new[] { "in", "out", "inout" });
            Assert.False(string.IsNullOrEmpty(binding.GetProperty("name").GetString()), $"{function}: a binding without name");
        }

        Assert.Equal(bindings.Count, bindings.Select(b => b.GetProperty("name").GetString()).Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void FunctionJson_Trigger_HasItsRequiredProperties(string function)
    {
        var trigger = Trigger(FunctionJson(function));
        var type = trigger.GetProperty("type").GetString();
        string[] required = type switch
        {
            "httpTrigger" => ["route", "methods", "authLevel"],
            "timerTrigger" => ["schedule"],
            // Cosmos DB extension 4.x names (containerName, leaseContainerName), not 3.x collectionName.
            "cosmosDBTrigger" => ["connection", "databaseName", "containerName", "leaseContainerName"],
            "serviceBusTrigger" => ["topicName", "subscriptionName", "connection"],
            _ => throw new InvalidOperationException($"{function}: unexpected trigger type {type}"),
        };

        Assert.Equal("in", trigger.GetProperty("direction").GetString());
        foreach (var property in required)
        {
            Assert.True(trigger.TryGetProperty(property, out var value), $"{function}: {type} has no {property}");
            Assert.True(value.ValueKind != JsonValueKind.String || value.GetString()!.Length > 0, $"{function}: {type}.{property} is empty");
        }

        Assert.DoesNotContain(trigger.EnumerateObject(), p => p.Name is "collectionName" or "leaseCollectionName" or "connectionStringSetting");
    }

    [Fact]
    public void Api_Bindings_AreOneHttpTriggerForEveryPathAndOneHttpOutput()
    {
        // Exactly one httpTrigger in and one http out: the shape the host forwards as a raw HTTP request.
        var bindings = FunctionJson("Api").GetProperty("bindings").EnumerateArray().ToList();
        var trigger = Assert.Single(bindings, b => b.GetProperty("type").GetString() == "httpTrigger");
        var output = Assert.Single(bindings, b => b.GetProperty("type").GetString() == "http");

        Assert.Equal(2, bindings.Count);
        Assert.Equal("out", output.GetProperty("direction").GetString());
        Assert.Equal("{*path}", trigger.GetProperty("route").GetString());
        Assert.Equal("anonymous", trigger.GetProperty("authLevel").GetString());
        Assert.Equal(
            new[] { "delete", "get", "head", "options", "patch", "post", "put" },
            trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void PublishEvents_Retry_IsUnboundedExponentialBackoff()
    {
        // Without a retry policy a failed change-feed batch is skipped: the lease moves on and the events are
        // never published.
        var retry = FunctionJson("PublishEvents").GetProperty("retry");

        Assert.Equal("exponentialBackoff", retry.GetProperty("strategy").GetString());
        Assert.Equal(-1, retry.GetProperty("maxRetryCount").GetInt32());
        var minimum = TimeSpan.Parse(retry.GetProperty("minimumInterval").GetString()!, CultureInfo.InvariantCulture);
        var maximum = TimeSpan.Parse(retry.GetProperty("maximumInterval").GetString()!, CultureInfo.InvariantCulture);
        Assert.InRange(minimum, TimeSpan.FromMilliseconds(1), maximum);
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void FunctionJson_Retry_IsValidAndOnlyWhereTheTriggerSupportsIt(string function)
    {
        var functionJson = FunctionJson(function);
        if (!functionJson.TryGetProperty("retry", out var retry))
        {
            return;
        }

        Assert.Contains(Trigger(functionJson).GetProperty("type").GetString(), TriggersWithRetry);
        Assert.True(retry.GetProperty("maxRetryCount").GetInt32() >= -1);
        string[] intervals = retry.GetProperty("strategy").GetString() switch
        {
            "fixedDelay" => ["delayInterval"],
            "exponentialBackoff" => ["minimumInterval", "maximumInterval"],
            var other => throw new InvalidOperationException($"{function}: unknown retry strategy {other}"),
        };
        foreach (var interval in intervals)
        {
            Assert.True(TimeSpan.TryParse(retry.GetProperty(interval).GetString(), CultureInfo.InvariantCulture, out _), $"{function}: retry.{interval} is not a TimeSpan");
        }
    }

    [Theory]
    [InlineData("ProcessPayment", "payments")]
    [InlineData("SendNotifications", "notifications")]
    public void ServiceBusTrigger_Settlement_IsAutomaticWithSessions(string function, string subscription)
    {
        // A custom handler cannot settle a message itself: the host completes it on 2xx and abandons it otherwise.
        var trigger = Trigger(FunctionJson(function));

        Assert.Equal("serviceBusTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(subscription, trigger.GetProperty("subscriptionName").GetString());
        Assert.True(trigger.GetProperty("autoCompleteMessages").GetBoolean());
        Assert.True(trigger.GetProperty("isSessionsEnabled").GetBoolean());
    }

    [Fact]
    public void CommissionRun_Schedule_IsASixFieldNcrontabExpression()
    {
        var schedule = Resolve(Trigger(FunctionJson("CommissionRun")).GetProperty("schedule").GetString()!);

        // NCrontab restores from the feed: it is the library (as NCrontab.Signed) that parses the Timer trigger's
        // schedules in the Functions host, so no hand-written validator is needed.
        Assert.Equal(6, schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        var parsed = CrontabSchedule.TryParse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        Assert.True(parsed is not null, $"'{schedule}' is not a six-field NCRONTAB expression");
        // Monthly, for the month just ended: 02:00 on the 1st.
        Assert.Equal(new DateTime(2026, 2, 1, 2, 0, 0, DateTimeKind.Unspecified), parsed.GetNextOccurrence(new DateTime(2026, 1, 15, 12, 0, 0, DateTimeKind.Unspecified)));
    }

    [Fact]
    public void FunctionJson_SettingReferences_AllExistInLocalSettingsSample()
    {
        var settings = LocalSettingsSample();
        var references = FunctionNames
            .SelectMany(name => StringValues(FunctionJson(name)).SelectMany(value => SettingReference().Matches(value).Select(m => (Function: name, Setting: m.Groups[1].Value))))
            .ToList();

        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.True(settings.ContainsKey(r.Setting), $"{r.Function} reads %{r.Setting}%, which local.settings.sample.json does not set"));
    }

    [Fact]
    public void FunctionJson_Connections_ResolveInLocalSettingsSample()
    {
        // A "connection" names an app setting (a connection string) or a prefix of identity-based settings
        // (<prefix>__fullyQualifiedNamespace, <prefix>__accountEndpoint, …).
        var settings = LocalSettingsSample();
        var connections = FunctionNames.Select(FunctionJson).SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .Where(b => b.TryGetProperty("connection", out _))
            .Select(b => b.GetProperty("connection").GetString()!)
            .ToList();

        Assert.NotEmpty(connections);
        Assert.All(connections, connection => Assert.True(
            settings.Any(s => s.Value.Length > 0 && (s.Key == connection || s.Key.StartsWith(connection + "__", StringComparison.Ordinal))),
            $"connection '{connection}' has no setting in local.settings.sample.json"));
    }

    [Fact]
    public void LocalSettingsSample_Host_RunsTheCustomHandlerOnAzurite()
    {
        var settings = LocalSettingsSample();

        Assert.Equal("custom", settings["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("UseDevelopmentStorage=true", settings["AzureWebJobsStorage"]);
    }

    [Fact]
    public async Task NonHttpFunctions_EachName_IsAPostRouteOfTheApp()
    {
        // The host POSTs every non-HTTP invocation to /{FunctionName}; the app maps those routes only under the host.
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            foreach (var (name, value) in HostEnvironment(7199))
            {
                builder.UseSetting(name.Replace("__", ":", StringComparison.Ordinal), value);
            }
        });
        var postRoutes = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>() is not { } methods || methods.HttpMethods.Contains("POST", StringComparer.OrdinalIgnoreCase))
            .Select(e => "/" + e.RoutePattern.RawText?.Trim('/'))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

        Assert.All(NonHttpFunctionNames, name => Assert.True(postRoutes.Contains("/" + name), $"the app has no POST /{name} for the {name} function"));
    }

    private static string Resolve(string value) =>
        SettingReference().Replace(value, m => LocalSettingsSample().TryGetValue(m.Groups[1].Value, out var setting) ? setting : throw new InvalidOperationException($"%{m.Groups[1].Value}% is not in local.settings.sample.json"));

    private static IEnumerable<string> StringValues(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => StringValues(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(StringValues),
        _ => [],
    };

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingReference();
}
