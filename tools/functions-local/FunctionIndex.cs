using System.Text.Json;
using NCrontab;
using PartnerBase.FunctionsLocal.Rpc;

namespace PartnerBase.FunctionsLocal;

/// <summary>A function the worker reported, with what the host needs to load and trigger it.</summary>
internal sealed record IndexedFunction(
    LocalFunction Info,
    string FunctionId,
    string TriggerBinding,
    FunctionLoadRequest LoadRequest,
    CrontabSchedule? Schedule,
    bool RunOnStartup);

internal static class FunctionIndex
{
    public static List<IndexedFunction> Create(FunctionMetadataResponse response, AppSettings settings)
    {
        if (response.Result?.Status == StatusResult.Types.Status.Failure)
        {
            throw new InvalidOperationException($"The worker failed to index the functions: {response.Result.Describe()}");
        }

        if (response.UseDefaultMetadataIndexing)
        {
            throw new InvalidOperationException(
                "The worker asked the host to index the functions itself (use_default_metadata_indexing), which this host does not do.");
        }

        return response.FunctionMetadataResults.Select(metadata => Index(metadata, settings)).ToList();
    }

    private static IndexedFunction Index(RpcFunctionMetadata metadata, AppSettings settings)
    {
        var functionId = string.IsNullOrEmpty(metadata.FunctionId) ? Guid.NewGuid().ToString() : metadata.FunctionId;
        var load = new FunctionLoadRequest
        {
            FunctionId = functionId,
            Metadata = new RpcFunctionMetadata
            {
                Name = metadata.Name,
                Directory = metadata.Directory,
                ScriptFile = metadata.ScriptFile,
                EntryPoint = metadata.EntryPoint,
                FunctionId = functionId,
                IsProxy = false,
                Language = metadata.Language,
            },
        };
        load.Metadata.Properties.Add(metadata.Properties);

        JsonElement? trigger = null;
        foreach (var raw in metadata.RawBindings)
        {
            using var document = JsonDocument.Parse(raw);
            var binding = document.RootElement.Clone();
            var name = GetString(binding, "name") ?? throw new InvalidOperationException($"A binding of function {metadata.Name} has no name: {raw}");
            var type = GetString(binding, "type") ?? throw new InvalidOperationException($"Binding '{name}' of function {metadata.Name} has no type.");

            // As the Functions host does (GrpcWorkerChannel.GetFunctionLoadRequest, BindingMetadata.ToBindingInfo):
            // name -> {type, direction, dataType}, enums parsed case-insensitively, direction defaulting to in.
            load.Metadata.Bindings[name] = new BindingInfo
            {
                Type = type,
                Direction = ParseEnum(binding, "direction", BindingInfo.Types.Direction.In, metadata.Name),
                DataType = ParseEnum(binding, "dataType", BindingInfo.Types.DataType.Undefined, metadata.Name),
            };

            if (trigger is null && type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase))
            {
                trigger = binding;
            }
        }

        if (trigger is not { } triggerBinding)
        {
            throw new InvalidOperationException($"Function {metadata.Name} has no trigger binding.");
        }

        var triggerName = GetString(triggerBinding, "name")!;
        var triggerType = GetString(triggerBinding, "type")!;

        if (string.Equals(triggerType, "httpTrigger", StringComparison.OrdinalIgnoreCase))
        {
            var methods = triggerBinding.TryGetProperty("methods", out var methodsElement) && methodsElement.ValueKind == JsonValueKind.Array
                ? methodsElement.EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant()).Distinct().ToArray()
                : [];
            var route = (GetString(triggerBinding, "route") ?? metadata.Name).Trim('/');
            var template = settings.RoutePrefix.Length == 0 ? route : $"{settings.RoutePrefix}/{route}";
            var info = new LocalFunction(metadata.Name, FunctionKind.Http, triggerType, methods, template, null);
            return new IndexedFunction(info, functionId, triggerName, load, null, false);
        }

        if (string.Equals(triggerType, "timerTrigger", StringComparison.OrdinalIgnoreCase))
        {
            var expression = settings.Resolve(
                GetString(triggerBinding, "schedule") ?? throw new InvalidOperationException($"Timer function {metadata.Name} has no schedule."),
                $"The schedule of function {metadata.Name}");
            var schedule = CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true })
                ?? throw new InvalidOperationException(
                    $"The schedule '{expression}' of function {metadata.Name} is not a six-field NCRONTAB expression ({{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}).");
            var runOnStartup = triggerBinding.TryGetProperty("runOnStartup", out var flag) && flag.ValueKind == JsonValueKind.True;
            var info = new LocalFunction(metadata.Name, FunctionKind.Timer, triggerType, [], null, expression);
            return new IndexedFunction(info, functionId, triggerName, load, schedule, runOnStartup);
        }

        return new IndexedFunction(new LocalFunction(metadata.Name, FunctionKind.Other, triggerType, [], null, null), functionId, triggerName, load, null, false);
    }

    private static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static T ParseEnum<T>(JsonElement binding, string property, T fallback, string functionName)
        where T : struct, Enum
    {
        var text = GetString(binding, property);
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        return Enum.TryParse<T>(text, ignoreCase: true, out var value)
            ? value
            : throw new InvalidOperationException($"'{text}' is not a valid binding {property} (function {functionName}).");
    }
}
