using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Xml;
using PartnerBase.Functions.Blobs;

namespace PartnerBase.Functions.Tests.Infrastructure;

/// <summary>
/// infra/bicep/main.bicep and every module compile and lint clean with the Bicep CLI from NuGet
/// (Azure.Bicep.CommandLine.linux-x64, restored with this project; its path comes in as assembly metadata), and the ARM
/// template main.bicep compiles to keeps the promises the app relies on: a dotnet-isolated 10.0 app on Flex Consumption
/// with platform CORS that allows the console's Static Web App, Entra ID everywhere and no keys in settings, the settings the app reads, the Service Bus topic
/// and subscriptions of CONTRACT §6 (and the `webhooks` one of §11), the documents container of CONTRACT §10 with blob versioning, the
/// Data Protection key ring's container (webhook signing secrets), and the roles of the app's identity.
/// </summary>
public sealed class BicepTests(BicepTests.CompiledTemplate compiled) : IClassFixture<BicepTests.CompiledTemplate>
{
    private const string AzureServiceBusDataSender = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39";
    private const string AzureServiceBusDataReceiver = "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0";
    private const string CosmosDbBuiltInDataContributor = "00000000-0000-0000-0000-000000000002";
    private const string StorageBlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";

    // The app's ASP.NET Core Data Protection key ring (keys.xml), which encrypts the webhook signing secrets (CONTRACT §11).
    private const string DataProtectionContainerName = "data-protection";

    public static TheoryData<string> ModuleFiles()
    {
        var modules = new TheoryData<string>();
        foreach (var path in Directory.EnumerateFiles(BicepCli.ModulesPath, "*.bicep").Order(StringComparer.Ordinal))
        {
            modules.Add(Path.GetFileName(path));
        }

        return modules;
    }

    [Fact]
    public void Build_MainTemplate_SucceedsWithoutDiagnostics()
    {
        var build = compiled.Build;

        Assert.True(build.ExitCode == 0 && build.StandardError.Length == 0, build.Describe());
        Assert.Equal(JsonValueKind.Object, compiled.Template.ValueKind);
    }

    [Fact]
    public async Task Lint_MainTemplate_ReportsNoDiagnostics()
    {
        // `bicep lint` exits 0 even with warnings: no output at all is the only clean result.
        var lint = await BicepCli.RunAsync(["lint", BicepCli.MainTemplatePath], TestContext.Current.CancellationToken);

        Assert.True(lint.ExitCode == 0 && lint.StandardOutput.Length == 0 && lint.StandardError.Length == 0, lint.Describe());
    }

    [Theory]
    [MemberData(nameof(ModuleFiles))]
    public async Task Lint_Module_ReportsNoDiagnostics(string module)
    {
        // Linting main.bicep does not report the linter's findings inside the modules it references.
        var lint = await BicepCli.RunAsync(["lint", Path.Combine(BicepCli.ModulesPath, module)], TestContext.Current.CancellationToken);

        Assert.True(lint.ExitCode == 0 && lint.StandardOutput.Length == 0 && lint.StandardError.Length == 0, lint.Describe());
    }

    [Fact]
    public void DataServices_LocalAuthentication_IsDisabled()
    {
        var cosmos = Assert.Single(compiled.Resources("Microsoft.DocumentDB/databaseAccounts")).Resource;
        var serviceBus = Assert.Single(compiled.Resources("Microsoft.ServiceBus/namespaces")).Resource;
        var storage = Assert.Single(compiled.Resources("Microsoft.Storage/storageAccounts")).Resource;

        Assert.True(cosmos.GetProperty("properties").GetProperty("disableLocalAuth").GetBoolean(), "Cosmos DB account keys are enabled");
        Assert.True(serviceBus.GetProperty("properties").GetProperty("disableLocalAuth").GetBoolean(), "Service Bus SAS keys are enabled");
        Assert.False(storage.GetProperty("properties").GetProperty("allowSharedKeyAccess").GetBoolean(), "storage shared keys are enabled");
    }

    [Fact]
    public void FunctionApp_Runtime_IsDotnetIsolated10OnFlexConsumption()
    {
        var plan = Assert.Single(compiled.Resources("Microsoft.Web/serverfarms")).Resource;
        Assert.Equal("FlexConsumption", plan.GetProperty("sku").GetProperty("tier").GetString());
        Assert.Equal("FC1", plan.GetProperty("sku").GetProperty("name").GetString());

        var site = Assert.Single(compiled.Resources("Microsoft.Web/sites")).Resource;
        Assert.Equal("functionapp,linux", site.GetProperty("kind").GetString());
        Assert.Equal("SystemAssigned", site.GetProperty("identity").GetProperty("type").GetString());

        var config = site.GetProperty("properties").GetProperty("functionAppConfig");
        var runtime = config.GetProperty("runtime");
        Assert.Equal("dotnet-isolated", runtime.GetProperty("name").GetString());
        // Exactly the catalog's version string: Resource Manager accepts "10" too, and the host then never starts.
        Assert.Equal("10.0", runtime.GetProperty("version").GetString());

        var deploymentStorage = config.GetProperty("deployment").GetProperty("storage");
        Assert.Equal("blobContainer", deploymentStorage.GetProperty("type").GetString());
        Assert.Equal("SystemAssignedIdentity", deploymentStorage.GetProperty("authentication").GetProperty("type").GetString());
        var scale = config.GetProperty("scaleAndConcurrency");
        Assert.True(scale.TryGetProperty("maximumInstanceCount", out _), "no maximumInstanceCount");
        Assert.True(scale.TryGetProperty("instanceMemoryMB", out _), "no instanceMemoryMB");
    }

    [Fact]
    public void FunctionApp_SiteConfig_HoldsNothingFlexConsumptionRejects()
    {
        var site = Assert.Single(compiled.Resources("Microsoft.Web/sites")).Resource;
        var siteConfig = site.GetProperty("properties").GetProperty("siteConfig");

        // Flex Consumption answers these with "site configuration properties (…) for Flex Consumption sites is invalid";
        // app settings are written by modules/appsettings.bicep, not inline.
        string[] rejected = ["ftpsState", "linuxFxVersion", "netFrameworkVersion", "use32BitWorkerProcess", "alwaysOn", "appSettings"];
        var present = siteConfig.EnumerateObject().Select(p => p.Name).Intersect(rejected, StringComparer.OrdinalIgnoreCase).ToList();
        Assert.True(present.Count == 0, $"siteConfig holds {string.Join(", ", present)}");
    }

    [Fact]
    public void FunctionApp_Cors_AllowsTheOriginsParameter()
    {
        var parameter = compiled.Template.GetProperty("parameters").GetProperty("corsAllowedOrigins");
        Assert.Equal("array", parameter.GetProperty("type").GetString());
        var origins = Assert.IsType<ArmExpression.Call>(ArmExpression.Parse(compiled.ModuleParameter("functionapp", "corsAllowedOrigins").GetString()!));
        Assert.Equal("union", origins.Name);
        Assert.Equal("parameters('corsAllowedOrigins')", origins.Arguments[0].Text);

        var site = Assert.Single(compiled.Resources("Microsoft.Web/sites")).Resource;
        var cors = site.GetProperty("properties").GetProperty("siteConfig").GetProperty("cors");
        Assert.Equal("[parameters('corsAllowedOrigins')]", cors.GetProperty("allowedOrigins").GetString());
        Assert.False(cors.GetProperty("supportCredentials").GetBoolean(), "the API takes bearer tokens; CORS must not allow credentials");

        // The app no longer reads origins: CORS settings for it would be dead configuration.
        Assert.DoesNotContain(compiled.AppSettings().Keys, name => name.StartsWith("Cors__", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void StaticWebApp_Console_IsDeployedWithItsPlanAndRegionAsParameters()
    {
        var site = Assert.Single(compiled.Resources("Microsoft.Web/staticSites"));
        Assert.Equal("staticwebapp", site.Deployment);
        var sku = site.Resource.GetProperty("sku");
        Assert.Equal("[parameters('skuName')]", sku.GetProperty("name").GetString());
        Assert.Equal("[parameters('consoleSku')]", compiled.ModuleParameter("staticwebapp", "skuName").GetString());
        Assert.Equal("[parameters('consoleLocation')]", compiled.ModuleParameter("staticwebapp", "location").GetString());

        var parameters = compiled.Template.GetProperty("parameters");
        Assert.Equal(["Free", "Standard"], parameters.GetProperty("consoleSku").GetProperty("allowedValues").EnumerateArray().Select(v => v.GetString()!).Order(StringComparer.Ordinal));
        // Static Web Apps exist in a few regions only, not in every region that offers Flex Consumption.
        var regions = parameters.GetProperty("consoleLocation").GetProperty("allowedValues").EnumerateArray().Select(v => v.GetString()!).ToList();
        Assert.Contains(parameters.GetProperty("consoleLocation").GetProperty("defaultValue").GetString(), regions);
        Assert.Subset(new HashSet<string>(["centralus", "eastasia", "eastus2", "westeurope", "westus2"], StringComparer.Ordinal), regions.ToHashSet(StringComparer.Ordinal));

        // The uploaded staticwebapp.config.json (fallback route, security headers) must take effect.
        Assert.True(site.Resource.GetProperty("properties").GetProperty("allowConfigFileUpdates").GetBoolean(), "staticwebapp.config.json would be ignored");
    }

    [Fact]
    public void StaticWebApp_DefaultHostName_IsAnOutput()
    {
        var output = compiled.Module("staticwebapp").GetProperty("properties").GetProperty("template").GetProperty("outputs").GetProperty("defaultHostName").GetProperty("value").GetString();
        Assert.StartsWith("[reference(resourceId('Microsoft.Web/staticSites', ", output, StringComparison.Ordinal);
        Assert.EndsWith(".defaultHostname]", output, StringComparison.Ordinal);

        var outputs = compiled.Template.GetProperty("outputs");
        Assert.Equal(("staticwebapp", "defaultHostName"), ArmExpression.ModuleOutput(ArmExpression.Parse(outputs.GetProperty("consoleHostName").GetProperty("value").GetString()!)));
        Assert.Equal(("functionapp", "defaultHostName"), ArmExpression.ModuleOutput(Assert.IsType<ArmExpression.Call>(ArmExpression.Parse(outputs.GetProperty("apiBaseUrl").GetProperty("value").GetString()!)).Arguments[1]));
    }

    [Fact]
    public void FunctionApp_Cors_AllowsTheConsolesOrigin()
    {
        // union(parameters('corsAllowedOrigins'), createArray(format('https://{0}', <staticwebapp's defaultHostName>)))
        var origins = Assert.IsType<ArmExpression.Call>(ArmExpression.Parse(compiled.ModuleParameter("functionapp", "corsAllowedOrigins").GetString()!));
        Assert.Equal("union", origins.Name);
        var added = Assert.IsType<ArmExpression.Call>(origins.Arguments[1]);
        Assert.Equal("createArray", added.Name);
        var origin = Assert.IsType<ArmExpression.Call>(Assert.Single(added.Arguments));
        Assert.Equal("format", origin.Name);
        Assert.Equal("https://{0}", Assert.IsType<ArmExpression.Literal>(origin.Arguments[0]).Value);
        Assert.Equal(("staticwebapp", "defaultHostName"), ArmExpression.ModuleOutput(origin.Arguments[1]));

        // The Function App's module takes that array as its CORS origins.
        var site = Assert.Single(compiled.Resources("Microsoft.Web/sites")).Resource;
        Assert.Equal("[parameters('corsAllowedOrigins')]", site.GetProperty("properties").GetProperty("siteConfig").GetProperty("cors").GetProperty("allowedOrigins").GetString());
    }

    [Fact]
    public void StaticWebApp_Dependencies_NothingOfTheFunctionApp()
    {
        // The Function App depends on the Static Web App (for its origin); the reverse would be a cycle.
        var module = compiled.Module("staticwebapp");
        var text = module.GetRawText();
        Assert.DoesNotContain("'functionapp'", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Microsoft.Web/sites'", text, StringComparison.Ordinal);
        Assert.Contains(compiled.Module("functionapp").GetProperty("dependsOn").EnumerateArray(), d => d.GetString()!.Contains("'staticwebapp'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Storage__Provider", "cosmos")]
    [InlineData("ServiceBus__TopicName", "payout-events")]
    [InlineData("Events__Transport", "servicebus")]
    [InlineData("CommissionRunSchedule", "0 0 2 1 * *")]
    [InlineData("EventRelaySchedule", "*/5 * * * * *")]
    [InlineData("PaymentsSchedule", "*/5 * * * * *")]
    [InlineData("NotificationsSchedule", "*/5 * * * * *")]
    [InlineData("StatementsSchedule", "0 0 4 1 * *")]
    [InlineData("ReconciliationSchedule", "0 30 3 * * *")]
    [InlineData("WebhooksSchedule", "*/5 * * * * *")]
    // Outside Development webhook URLs may not reach private networks (CONTRACT §11).
    [InlineData("Webhooks__AllowPrivateNetworks", "false")]
    // Versioning keeps the earlier documents in Azure; the app's snapshots are only for Azurite.
    [InlineData("Documents__SnapshotBeforeOverwrite", "false")]
    public void AppSettings_FixedSetting_HasTheContractValue(string name, string expected)
    {
        var settings = compiled.AppSettings();

        Assert.True(settings.TryGetValue(name, out var value), $"no app setting {name}");
        Assert.Equal(expected, compiled.Resolve(value));
    }

    [Theory]
    [InlineData("AzureWebJobsStorage__accountName", "storage", "storageAccountName")]
    [InlineData("Cosmos__Endpoint", "cosmos", "documentEndpoint")]
    [InlineData("ServiceBus__FullyQualifiedNamespace", "servicebus", "fullyQualifiedNamespace")]
    public void AppSettings_IdentityConnection_ComesFromTheResource(string name, string module, string output)
    {
        var settings = compiled.AppSettings();

        Assert.True(settings.TryGetValue(name, out var value), $"no app setting {name}");
        Assert.Equal((module, output), ArmExpression.ModuleOutput(value));
    }

    [Fact]
    public void AppSettings_DataProtectionContainer_IsTheStorageModulesKeyRingContainer()
    {
        var settings = compiled.AppSettings();

        // The container the storage module creates (and roles grants), in the account AzureWebJobsStorage__accountName names.
        Assert.True(settings.TryGetValue("DataProtection__Container", out var value), "no app setting DataProtection__Container");
        Assert.Equal(("storage", "dataProtectionContainerName"), ArmExpression.ModuleOutput(value));
        Assert.Equal(("storage", "storageAccountName"), ArmExpression.ModuleOutput(settings["AzureWebJobsStorage__accountName"]));
        var output = compiled.Module("storage").GetProperty("properties").GetProperty("template").GetProperty("outputs").GetProperty("dataProtectionContainerName").GetProperty("value").GetString();
        Assert.Equal($"[{StorageContainer(DataProtectionContainerName).NameSegments()[^1]}]", output);
    }

    [Fact]
    public void AppSettings_EntraIdAndProviders_ComeFromParameters()
    {
        var settings = compiled.AppSettings();

        Assert.Equal("parameters('tokenAuthority')", settings["Authentication__Schemes__Bearer__Authority"].Text);
        Assert.Equal("parameters('tokenAudience')", settings["Authentication__Schemes__Bearer__ValidAudiences__0"].Text);
        Assert.Contains("Payments__Provider", settings.Keys);
        Assert.Contains("Notifications__Provider", settings.Keys);

        // The Stripe key is resolved by the platform from Key Vault; the setting holds only the reference.
        var stripeKey = Assert.IsType<ArmExpression.Call>(settings["Payments__Stripe__ApiKey"]);
        Assert.Equal("format", stripeKey.Name);
        Assert.Equal("@Microsoft.KeyVault(SecretUri={0})", Assert.IsType<ArmExpression.Literal>(stripeKey.Arguments[0]).Value);
        Assert.Equal(("keyvault", "stripeSecretUri"), ArmExpression.ModuleOutput(stripeKey.Arguments[1]));
    }

    [Fact]
    public void AppSettings_Secrets_NoKeysOrConnectionStrings()
    {
        // Nothing in the template reads a key, SAS or connection string from a resource.
        string[] secretReaders = ["listKeys(", "listConnectionStrings(", "listAccountSas(", "listServiceSas(", "listSecrets("];
        Assert.All(secretReaders, reader => Assert.DoesNotContain(reader, compiled.Json, StringComparison.OrdinalIgnoreCase));

        var settings = compiled.AppSettings();
        var text = string.Join('\n', settings.Select(s => $"{s.Key}={s.Value.Text}"));
        Assert.DoesNotContain("AccountKey=", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("SharedAccessKey", text, StringComparison.OrdinalIgnoreCase);

        // Application Insights' connection string grants no data access; any other connection string would.
        var connectionStrings = settings.Keys.Where(n => n.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase) || n.Contains("CONNECTION_STRING", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("APPLICATIONINSIGHTS_CONNECTION_STRING", Assert.Single(connectionStrings));

        // A key, secret or password may only be a Key Vault reference.
        foreach (var (name, value) in settings)
        {
            if (name.EndsWith("Key", StringComparison.OrdinalIgnoreCase) || name.Contains("Secret", StringComparison.OrdinalIgnoreCase) || name.Contains("Password", StringComparison.OrdinalIgnoreCase))
            {
                Assert.True(value is ArmExpression.Call { Name: "format", Arguments: [ArmExpression.Literal { Value: var format }, ..] } && format.StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal), $"{name} is not a Key Vault reference: {value.Text}");
            }
        }
    }

    [Fact]
    public void AppSettings_RuntimeAndCustomHandlerSettings_AreAbsent()
    {
        var settings = compiled.AppSettings();

        // Flex Consumption: the runtime comes from functionAppConfig; content is the deployment container; the host's
        // storage is by identity (AzureWebJobsStorage__accountName), never a connection string.
        string[] notOnFlex = ["FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_WORKER_RUNTIME_VERSION", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_CONTENTSHARE", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "AzureWebJobsStorage"];
        // The custom handler's trigger bindings (function.json "connection") and its own CORS.
        string[] customHandlerPrefixes = ["CosmosDb__", "ServiceBusConnection__", "Cors__"];

        Assert.All(notOnFlex, name => Assert.False(settings.ContainsKey(name), $"{name} is set"));
        Assert.All(customHandlerPrefixes, prefix => Assert.DoesNotContain(settings.Keys, name => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public void BlobService_Versioning_IsOnWithSoftDelete()
    {
        // One blob service, the app's storage account's: every earlier statement is kept as a blob version (CONTRACT §10).
        var blobService = Assert.Single(compiled.Resources("Microsoft.Storage/storageAccounts/blobServices"));
        var properties = blobService.Resource.GetProperty("properties");

        Assert.True(properties.GetProperty("isVersioningEnabled").GetBoolean(), "without blob versioning a regenerated statement overwrites the previous one");
        foreach (var policy in new[] { "deleteRetentionPolicy", "containerDeleteRetentionPolicy" })
        {
            var retention = properties.GetProperty(policy);
            Assert.True(retention.GetProperty("enabled").GetBoolean(), $"{policy} is off");
            Assert.Equal(7, IntValue(blobService, retention.GetProperty("days")));
        }
    }

    [Theory]
    [InlineData(DocumentStore.ContainerName)]
    [InlineData(DataProtectionContainerName)]
    public void Container_PublicAccess_IsNone(string name)
    {
        var container = StorageContainer(name);

        Assert.Equal("None", container.Resource.GetProperty("properties").GetProperty("publicAccess").GetString());
        var storage = Assert.Single(compiled.Resources("Microsoft.Storage/storageAccounts")).Resource;
        Assert.False(storage.GetProperty("properties").GetProperty("allowBlobPublicAccess").GetBoolean(), "the account allows public blob access");
    }

    [Fact]
    public void LifecyclePolicy_Rules_NeverDeleteDocumentsOrCurrentBlobs()
    {
        // Versioning is account-wide; old versions of the host's blobs may go, the documents' history may not.
        var policy = Assert.Single(compiled.Resources("Microsoft.Storage/storageAccounts/managementPolicies")).Resource;
        var documentsParameter = DocumentsContainer().NameSegments()[^1];
        // Lose a Data Protection key and every webhook secret it encrypted is lost with it.
        var dataProtectionParameter = StorageContainer(DataProtectionContainerName).NameSegments()[^1];
        foreach (var rule in policy.GetProperty("properties").GetProperty("policy").GetProperty("rules").EnumerateArray())
        {
            var definition = rule.GetProperty("definition");
            Assert.Equal(["version"], definition.GetProperty("actions").EnumerateObject().Select(a => a.Name));
            // A rule without prefixes matches every blob, the documents included.
            var prefixes = definition.GetProperty("filters").GetProperty("prefixMatch").EnumerateArray().Select(p => p.GetString()!).ToList();
            Assert.NotEmpty(prefixes);
            Assert.All(prefixes, prefix => Assert.DoesNotContain(documentsParameter, prefix, StringComparison.Ordinal));
            Assert.All(prefixes, prefix => Assert.False(prefix.StartsWith(DocumentStore.ContainerName, StringComparison.Ordinal), $"{prefix} covers the documents"));
            Assert.All(prefixes, prefix => Assert.DoesNotContain(dataProtectionParameter, prefix, StringComparison.Ordinal));
            Assert.All(prefixes, prefix => Assert.False(prefix.StartsWith(DataProtectionContainerName, StringComparison.Ordinal), $"{prefix} covers the Data Protection keys"));
        }
    }

    [Fact]
    public void Topic_DuplicateDetection_CoversAtLeastOneHour()
    {
        var topic = Assert.Single(compiled.Resources("Microsoft.ServiceBus/namespaces/topics")).Resource;
        var properties = topic.GetProperty("properties");

        Assert.Equal("payout-events", compiled.Resolve(compiled.ModuleParameter("servicebus", "topicName")));
        Assert.True(properties.GetProperty("requiresDuplicateDetection").GetBoolean(), "the topic must drop re-sent events (MessageId = event id)");
        var window = XmlConvert.ToTimeSpan(properties.GetProperty("duplicateDetectionHistoryTimeWindow").GetString()!);
        Assert.True(window >= TimeSpan.FromHours(1), $"duplicate detection window {window} is shorter than an hour");
    }

    [Theory]
    [InlineData("payments")]
    [InlineData("notifications")]
    [InlineData("webhooks")]
    public void Subscription_Delivery_SessionsTenDeliveriesAndDeadLetteringOnExpiry(string subscription)
    {
        var properties = Assert.Single(compiled.Resources("Microsoft.ServiceBus/namespaces/topics/subscriptions"), r => r.NameSegments()[^1] == subscription)
            .Resource.GetProperty("properties");

        Assert.True(properties.GetProperty("requiresSession").GetBoolean(), "SessionId = payout id: sessions keep each payout's events in order");
        Assert.Equal(10, properties.GetProperty("maxDeliveryCount").GetInt32());
        Assert.True(properties.GetProperty("deadLetteringOnMessageExpiration").GetBoolean(), "expired messages must be dead-lettered");
    }

    [Theory]
    [InlineData("payments", "eventType IN ('com.partnerbase.payout.approved', 'com.partnerbase.payout.processing')")]
    [InlineData("notifications", "1=1")]
    [InlineData("webhooks", "1=1")]
    public void SubscriptionRules_DefaultRule_IsTheOnlyRuleWithTheContractFilter(string subscription, string sqlExpression)
    {
        // The rule is written under the name of the catch-all rule every subscription starts with, replacing it.
        var rule = Assert.Single(compiled.Resources("Microsoft.ServiceBus/namespaces/topics/subscriptions/rules"), r => r.NameSegments()[^2] == subscription);
        Assert.Equal("$Default", rule.NameSegments()[^1]);

        var properties = rule.Resource.GetProperty("properties");
        Assert.Equal("SqlFilter", properties.GetProperty("filterType").GetString());
        Assert.Equal(sqlExpression, properties.GetProperty("sqlFilter").GetProperty("sqlExpression").GetString());
    }

    [Theory]
    [InlineData("Azure Service Bus Data Sender", AzureServiceBusDataSender, "Microsoft.ServiceBus/namespaces")]
    [InlineData("Azure Service Bus Data Receiver", AzureServiceBusDataReceiver, "Microsoft.ServiceBus/namespaces")]
    [InlineData("Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "Microsoft.Storage/storageAccounts")]
    [InlineData("Storage Blob Data Contributor", StorageBlobDataContributor, "Microsoft.Storage/storageAccounts/blobServices/containers")]
    [InlineData("Storage Queue Data Contributor", "974c5e8b-45b9-4653-ba55-5f855dd0fb88", "Microsoft.Storage/storageAccounts")]
    [InlineData("Storage Table Data Contributor", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "Microsoft.Storage/storageAccounts")]
    [InlineData("Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6", "Microsoft.KeyVault/vaults")]
    public void RoleAssignment_AppIdentity_HoldsTheRoleOnTheResource(string role, string roleDefinitionId, string scopeType)
    {
        // Blob Data Contributor is granted once per container it is for; every other role once.
        var assignments = RoleAssignments(roleDefinitionId).ToList();
        Assert.NotEmpty(assignments);

        Assert.All(assignments, assignment =>
        {
            var properties = assignment.Resource.GetProperty("properties");
            AssertIsTheAppsPrincipal(assignment, properties.GetProperty("principalId").GetString()!);
            Assert.Equal("ServicePrincipal", properties.GetProperty("principalType").GetString());
            var scope = Assert.IsType<ArmExpression.Call>(ArmExpression.Parse(assignment.Resource.GetProperty("scope").GetString()!));
            Assert.True(scope is { Name: "resourceId", Arguments: [ArmExpression.Literal { Value: var type }, ..] } && type == scopeType, $"{role} is granted on {scope.Text}");
        });
    }

    [Theory]
    [InlineData(DocumentStore.ContainerName, "documentsContainerName")]
    [InlineData(DataProtectionContainerName, "dataProtectionContainerName")]
    public void RoleAssignment_BlobDataContributor_IsOnTheContainer(string containerName, string storageOutput)
    {
        // resourceId(containers, <storage account>, 'default', parameters(<roles' parameter>)), each assignment on one container.
        var scopes = RoleAssignments(StorageBlobDataContributor)
            .Select(a => (Assignment: a, Scope: Assert.IsType<ArmExpression.Call>(ArmExpression.Parse(a.Resource.GetProperty("scope").GetString()!))))
            .ToList();
        Assert.Equal(2, scopes.Count);
        var (assignment, scope) = Assert.Single(
            scopes,
            s => s.Scope.Arguments.Count == 4
                && s.Scope.Arguments[3] is ArmExpression.Call { Name: "parameters", Arguments: [ArmExpression.Literal name] }
                && ArmExpression.ModuleOutput(ArmExpression.Parse(compiled.ModuleParameter("roles", name.Value).GetString()!)) == ("storage", storageOutput));

        Assert.Equal("parameters('storageAccountName')", scope.Arguments[1].Text);
        Assert.Equal("default", assignment.Resolve(scope.Arguments[2]));
        Assert.Equal(("storage", "storageAccountName"), ArmExpression.ModuleOutput(ArmExpression.Parse(compiled.ModuleParameter("roles", "storageAccountName").GetString()!)));
        // The storage module's output is the name it gave the container.
        var output = compiled.Module("storage").GetProperty("properties").GetProperty("template").GetProperty("outputs").GetProperty(storageOutput).GetProperty("value").GetString();
        Assert.Equal($"[{StorageContainer(containerName).NameSegments()[^1]}]", output);
    }

    [Theory]
    [InlineData("payments")]
    [InlineData("notifications")]
    [InlineData("webhooks")]
    public void RoleAssignment_ServiceBusDataReceiver_CoversTheSubscription(string subscription)
    {
        // Granted on the namespace the servicebus module creates the subscription in: that covers each of its topics' subscriptions.
        var assignment = Assert.Single(RoleAssignments(AzureServiceBusDataReceiver));
        var scope = Assert.IsType<ArmExpression.Call>(ArmExpression.Parse(assignment.Resource.GetProperty("scope").GetString()!));
        Assert.True(scope is { Name: "resourceId", Arguments: [ArmExpression.Literal { Value: "Microsoft.ServiceBus/namespaces" }, ArmExpression.Call { Name: "parameters", Arguments: [ArmExpression.Literal] }] }, scope.Text);
        var namespaceParameter = ((ArmExpression.Literal)((ArmExpression.Call)scope.Arguments[1]).Arguments[0]).Value;
        Assert.Equal(("servicebus", "namespaceName"), ArmExpression.ModuleOutput(ArmExpression.Parse(compiled.ModuleParameter("roles", namespaceParameter).GetString()!)));

        var created = Assert.Single(compiled.Resources("Microsoft.ServiceBus/namespaces/topics/subscriptions"), r => r.NameSegments()[^1] == subscription);
        Assert.Equal("servicebus", created.Deployment);
        var output = compiled.Module("servicebus").GetProperty("properties").GetProperty("template").GetProperty("outputs").GetProperty("namespaceName").GetProperty("value").GetString();
        Assert.Equal($"[{created.NameSegments()[0]}]", output);
    }

    /// <summary>The role assignments of one built-in role (by its definition id).</summary>
    private IEnumerable<CompiledTemplate.Located> RoleAssignments(string roleDefinitionId) =>
        compiled.Resources("Microsoft.Authorization/roleAssignments")
            .Where(r => r.Resolve(ArmExpression.Parse(r.Resource.GetProperty("properties").GetProperty("roleDefinitionId").GetString()!) is ArmExpression.Call { Name: "subscriptionResourceId", Arguments: [_, var id] } ? id : null) == roleDefinitionId);

    /// <summary>A number in a module's template: literal, or a parameter main.bicep passes or leaves at its default.</summary>
    private int IntValue(CompiledTemplate.Located resource, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            return value.GetInt32();
        }

        var name = Assert.IsType<ArmExpression.Literal>(ArmExpression.Parse(value.GetString()!) is ArmExpression.Call { Name: "parameters", Arguments: [var argument] } ? argument : null).Value;
        var passed = resource.Deployment is null ? default : compiled.Module(resource.Deployment).GetProperty("properties").GetProperty("parameters");
        return passed.ValueKind == JsonValueKind.Object && passed.TryGetProperty(name, out var given)
            ? given.GetProperty("value").GetInt32()
            : resource.Template.GetProperty("parameters").GetProperty(name).GetProperty("defaultValue").GetInt32();
    }

    /// <summary>The storage module's container that main.bicep names after the app's DocumentStore.ContainerName.</summary>
    private CompiledTemplate.Located DocumentsContainer() => StorageContainer(DocumentStore.ContainerName);

    /// <summary>The storage module's container whose name parameter main.bicep fills with <paramref name="name"/>.</summary>
    private CompiledTemplate.Located StorageContainer(string name) =>
        Assert.Single(
            compiled.Resources("Microsoft.Storage/storageAccounts/blobServices/containers"),
            c => c.Deployment == "storage"
                && ArmExpression.Parse(c.NameSegments()[^1]) is ArmExpression.Call { Name: "parameters", Arguments: [ArmExpression.Literal parameter] }
                && compiled.Resolve(compiled.ModuleParameter("storage", parameter.Value)) == name);

    [Fact]
    public void CosmosRoleAssignment_AppIdentity_IsBuiltInDataContributorOnTheAccount()
    {
        var assignment = Assert.Single(compiled.Resources("Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments"));
        var properties = assignment.Resource.GetProperty("properties");

        AssertIsTheAppsPrincipal(assignment, properties.GetProperty("principalId").GetString()!);
        Assert.Contains($"'{CosmosDbBuiltInDataContributor}'", properties.GetProperty("roleDefinitionId").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("[resourceId('Microsoft.DocumentDB/databaseAccounts', ", properties.GetProperty("scope").GetString(), StringComparison.Ordinal);
    }

    /// <summary>The principal is the roles module's principalId, which main.bicep fills with the Function App's identity.</summary>
    private void AssertIsTheAppsPrincipal(CompiledTemplate.Located resource, string principalId)
    {
        Assert.Equal("[parameters('principalId')]", principalId);
        Assert.Equal("roles", resource.Deployment);
        var passed = ArmExpression.Parse(compiled.ModuleParameter("roles", "principalId").GetString()!);
        Assert.Equal(("functionapp", "principalId"), ArmExpression.ModuleOutput(passed));

        var functionApp = compiled.Module("functionapp");
        var output = functionApp.GetProperty("properties").GetProperty("template").GetProperty("outputs").GetProperty("principalId").GetProperty("value").GetString();
        Assert.Contains("Microsoft.Web/sites", output, StringComparison.Ordinal);
        Assert.EndsWith(".identity.principalId]", output, StringComparison.Ordinal);
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
        public IEnumerable<Located> Resources(string type) =>
            AllResources(Template, deployment: null).Where(r => string.Equals(r.Resource.GetProperty("type").GetString(), type, StringComparison.OrdinalIgnoreCase));

        /// <summary>The main template's deployment of a module (main.bicep names each deployment after its module).</summary>
        public JsonElement Module(string name) =>
            Assert.Single(Resources("Microsoft.Resources/deployments"), r => r.Deployment is null && r.Resource.GetProperty("name").GetString() == name).Resource;

        /// <summary>The value (usually an ARM expression) main.bicep passes to a module's parameter.</summary>
        public JsonElement ModuleParameter(string module, string parameter) =>
            Module(module).GetProperty("properties").GetProperty("parameters").GetProperty(parameter).GetProperty("value");

        /// <summary>The Function App's settings, by name (case-insensitive, as Azure treats them), from both branches of every condition.</summary>
        public IReadOnlyDictionary<string, ArmExpression.Node> AppSettings()
        {
            var settings = new Dictionary<string, ArmExpression.Node>(StringComparer.OrdinalIgnoreCase);
            var config = Assert.Single(Resources("Microsoft.Web/sites/config"), r => r.NameSegments()[^1] == "appsettings");
            Assert.Equal("[parameters('settings')]", config.Resource.GetProperty("properties").GetString());
            CollectSettings(ArmExpression.Parse(ModuleParameter(config.Deployment!, "settings").GetString()!), settings);
            return settings;
        }

        /// <summary>The string a main-template value stands for, when it is a literal, a variable or a parameter's default; otherwise null.</summary>
        public string? Resolve(ArmExpression.Node node) => Located.Resolve(node, Template);

        /// <inheritdoc cref="Resolve(ArmExpression.Node)"/>
        public string? Resolve(JsonElement value) =>
            value.ValueKind != JsonValueKind.String ? null
            : value.GetString()!.StartsWith("[[", StringComparison.Ordinal) ? value.GetString()![1..]
            : value.GetString()!.StartsWith('[') ? Resolve(ArmExpression.Parse(value.GetString()!))
            : value.GetString();

        // The settings object is a union of createObject(name, value, …), if(…) and variables holding more of the same.
        private void CollectSettings(ArmExpression.Node node, Dictionary<string, ArmExpression.Node> settings)
        {
            switch (node)
            {
                case ArmExpression.Call { Name: "union" } union:
                    union.Arguments.ToList().ForEach(a => CollectSettings(a, settings));
                    break;
                case ArmExpression.Call { Name: "if", Arguments: [_, var whenTrue, var whenFalse] }:
                    CollectSettings(whenTrue, settings);
                    CollectSettings(whenFalse, settings);
                    break;
                case ArmExpression.Call { Name: "createObject" } create:
                    Assert.True(create.Arguments.Count % 2 == 0, create.Text);
                    for (var i = 0; i < create.Arguments.Count; i += 2)
                    {
                        settings[Assert.IsType<ArmExpression.Literal>(create.Arguments[i]).Value] = create.Arguments[i + 1];
                    }

                    break;
                case ArmExpression.Call { Name: "variables", Arguments: [ArmExpression.Literal name] }:
                    var variable = Template.GetProperty("variables").GetProperty(name.Value);
                    if (variable.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var property in variable.EnumerateObject())
                        {
                            settings[property.Name] = ArmExpression.Parse(property.Value.GetString()!);
                        }
                    }
                    else
                    {
                        CollectSettings(ArmExpression.Parse(variable.GetString()!), settings);
                    }

                    break;
                default:
                    Assert.Fail($"cannot read app settings out of {node.Text}");
                    break;
            }
        }

        private static IEnumerable<Located> AllResources(JsonElement template, string? deployment)
        {
            foreach (var resource in ResourceList(template))
            {
                yield return new Located(resource, template, deployment);
                if (resource.GetProperty("type").GetString() == "Microsoft.Resources/deployments"
                    && resource.GetProperty("properties").TryGetProperty("template", out var nested))
                {
                    foreach (var inner in AllResources(nested, resource.GetProperty("name").GetString()))
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

        /// <summary>A resource, the template that declares it, and the name of the module deployment holding that template (null: main).</summary>
        public sealed record Located(JsonElement Resource, JsonElement Template, string? Deployment)
        {
            /// <summary>The name's segments, e.g. [namespace, topic, 'payments'] (non-literal segments as their expression text).</summary>
            public IReadOnlyList<string> NameSegments()
            {
                var name = Resource.GetProperty("name").GetString()!;
                if (!name.StartsWith('['))
                {
                    return name.Split('/');
                }

                var node = ArmExpression.Parse(name);
                return node is ArmExpression.Call { Name: "format", Arguments: [ArmExpression.Literal, ..] } format
                    ? format.Arguments.Skip(1).Select(p => Resolve(p, Template) ?? p.Text).ToList()
                    : [Resolve(node, Template) ?? node.Text];
            }

            public string? Resolve(ArmExpression.Node? node) => node is null ? null : Resolve(node, Template);

            internal static string? Resolve(ArmExpression.Node node, JsonElement template) => node switch
            {
                ArmExpression.Literal literal => literal.Value,
                ArmExpression.Call { Name: "parameters", Arguments: [ArmExpression.Literal name] } =>
                    template.GetProperty("parameters").GetProperty(name.Value).TryGetProperty("defaultValue", out var value) ? FromJson(value, template) : null,
                ArmExpression.Call { Name: "variables", Arguments: [ArmExpression.Literal name] } =>
                    FromJson(template.GetProperty("variables").GetProperty(name.Value), template),
                ArmExpression.Member { Target: ArmExpression.Call { Name: "variables", Arguments: [ArmExpression.Literal name] }, Name: var member } =>
                    template.GetProperty("variables").GetProperty(name.Value).TryGetProperty(member, out var value) ? FromJson(value, template) : null,
                _ => null,
            };

            private static string? FromJson(JsonElement value, JsonElement template) =>
                value.ValueKind != JsonValueKind.String ? null
                : value.GetString()!.StartsWith("[[", StringComparison.Ordinal) ? value.GetString()![1..]
                : value.GetString()!.StartsWith('[') ? Resolve(ArmExpression.Parse(value.GetString()!), template)
                : value.GetString();
        }
    }
}

/// <summary>
/// Just enough of the ARM template expression language to read what Bicep emits: function calls, string and number
/// literals, property access and indexing (learn.microsoft.com/azure/azure-resource-manager/templates/template-expressions).
/// </summary>
public static class ArmExpression
{
    public abstract record Node(string Text);

    public sealed record Literal(string Value, string Text) : Node(Text);

    public sealed record Number(string Text) : Node(Text);

    public sealed record Call(string Name, IReadOnlyList<Node> Arguments, string Text) : Node(Text);

    public sealed record Member(Node Target, string Name, string Text) : Node(Text);

    public sealed record Index(Node Target, Node Key, string Text) : Node(Text);

    /// <summary>Parses a template value "[expression]", or a bare expression.</summary>
    public static Node Parse(string value)
    {
        var source = value.StartsWith('[') && value.EndsWith(']') ? value[1..^1] : value;
        var position = 0;
        var node = ParseExpression(source, ref position);
        SkipSpaces(source, ref position);
        Assert.True(position == source.Length, $"unexpected '{source[position..]}' in {value}");
        return node;
    }

    /// <summary>(module, output) when the node is `reference(resourceId('Microsoft.Resources/deployments', module), …).outputs.output.value`.</summary>
    public static (string Module, string Output)? ModuleOutput(Node node) =>
        node is Member
        {
            Name: "value",
            Target: Member
            {
                Name: var output,
                Target: Member
                {
                    Name: "outputs",
                    Target: Call
                    {
                        Name: "reference",
                        Arguments: [Call { Name: "resourceId", Arguments: [Literal { Value: "Microsoft.Resources/deployments" }, Literal module] }, ..],
                    },
                },
            },
        }
            ? (module.Value, output)
            : null;

    private static Node ParseExpression(string source, ref int position)
    {
        SkipSpaces(source, ref position);
        var start = position;
        Node node;
        if (source[position] == '\'')
        {
            var value = new StringBuilder();
            position++;
            while (true)
            {
                Assert.True(position < source.Length, $"unterminated string in {source}");
                if (source[position] == '\'')
                {
                    if (position + 1 < source.Length && source[position + 1] == '\'')
                    {
                        value.Append('\'');
                        position += 2;
                        continue;
                    }

                    position++;
                    break;
                }

                value.Append(source[position++]);
            }

            node = new Literal(value.ToString(), source[start..position]);
        }
        else if (char.IsAsciiDigit(source[position]) || source[position] == '-')
        {
            position++;
            while (position < source.Length && (char.IsAsciiDigit(source[position]) || source[position] == '.'))
            {
                position++;
            }

            node = new Number(source[start..position]);
        }
        else
        {
            var name = ReadIdentifier(source, ref position);
            SkipSpaces(source, ref position);
            Assert.True(position < source.Length && source[position] == '(', $"expected a call at {start} in {source}");
            position++;
            var arguments = new List<Node>();
            SkipSpaces(source, ref position);
            if (source[position] != ')')
            {
                while (true)
                {
                    arguments.Add(ParseExpression(source, ref position));
                    SkipSpaces(source, ref position);
                    if (source[position] == ',')
                    {
                        position++;
                        continue;
                    }

                    break;
                }
            }

            Assert.True(source[position] == ')', $"expected ')' at {position} in {source}");
            position++;
            node = new Call(name, arguments, source[start..position]);
        }

        while (position < source.Length && (source[position] == '.' || source[position] == '['))
        {
            if (source[position] == '.')
            {
                position++;
                var member = ReadIdentifier(source, ref position);
                node = new Member(node, member, source[start..position]);
            }
            else
            {
                position++;
                var key = ParseExpression(source, ref position);
                SkipSpaces(source, ref position);
                Assert.True(source[position] == ']', $"expected ']' at {position} in {source}");
                position++;
                node = new Index(node, key, source[start..position]);
            }
        }

        return node;
    }

    private static string ReadIdentifier(string source, ref int position)
    {
        var start = position;
        while (position < source.Length && (char.IsAsciiLetterOrDigit(source[position]) || source[position] is '_' or '$'))
        {
            position++;
        }

        Assert.True(position > start, $"expected a name at {start} in {source}");
        return source[start..position];
    }

    private static void SkipSpaces(string source, ref int position)
    {
        while (position < source.Length && char.IsWhiteSpace(source[position]))
        {
            position++;
        }
    }
}

/// <summary>The Bicep CLI binary from the NuGet package, run against the repository's templates.</summary>
public static class BicepCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private static readonly Lazy<string> RepoRoot = new(FindRepoRoot);

    public static string MainTemplatePath => Path.Combine(RepoRoot.Value, "infra", "bicep", "main.bicep");

    public static string ModulesPath => Path.Combine(RepoRoot.Value, "infra", "bicep", "modules");

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
