using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Primitives;
using PartnerBase.FunctionsLocal.Rpc;

namespace PartnerBase.FunctionsLocal;

internal static class Invocations
{
    public static InvocationRequest CreateRequest(IndexedFunction function, string invocationId, TypedData trigger) => new()
    {
        InvocationId = invocationId,
        FunctionId = function.FunctionId,
        InputData = { new ParameterBinding { Name = function.TriggerBinding, Data = trigger } },
        // The worker fails an invocation without a trace context; the host sends Activity.Current's.
        TraceContext = new RpcTraceContext
        {
            TraceParent = Activity.Current?.Id
                ?? $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-00",
            TraceState = Activity.Current?.TraceStateString ?? string.Empty,
        },
    };

    public static bool Succeeded(this InvocationResponse response) =>
        response.Result?.Status == StatusResult.Types.Status.Success;

    public static string Describe(this StatusResult? result) =>
        result?.Exception is { } exception && !string.IsNullOrEmpty(exception.Message) ? exception.Message
            : string.IsNullOrEmpty(result?.Result) ? $"status {result?.Status.ToString() ?? "missing"}"
            : result.Result;

    public static void LogResult(ILogger logger, string functionName, InvocationResult result, LogLevel successLevel = LogLevel.Information)
    {
        if (result.Succeeded)
        {
            logger.Succeeded(successLevel, functionName, result.InvocationId, (long)result.Duration.TotalMilliseconds);
        }
        else
        {
            logger.Failed(functionName, result.InvocationId, (long)result.Duration.TotalMilliseconds, result.Error);
        }
    }

    public static string ToJson(IEnumerable<KeyValuePair<string, StringValues>> pairs) => WriteJson(writer =>
    {
        writer.WriteStartObject();
        foreach (var (name, values) in pairs)
        {
            writer.WriteString(name, values.ToString());
        }

        writer.WriteEndObject();
    });

    public static string WriteJson(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
