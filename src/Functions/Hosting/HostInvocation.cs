using System.Text.Json;
using System.Text.Json.Serialization;

namespace PartnerBase.Functions.Hosting;

/// <summary>
/// The Functions host's invocation payload for non-HTTP triggers: <c>{ "Data": { binding: value }, "Metadata": {…} }</c>.
/// Values often arrive JSON-encoded a second time (a string holding JSON); both shapes are accepted.
/// </summary>
public static class HostInvocation
{
    /// <summary>The value of one input binding, decoded from its string form when it is one.</summary>
    public static JsonElement? Data(JsonElement body, string binding) =>
        Property(body, "Data") is { } data && Property(Unwrap(data), binding) is { } value ? Unwrap(value) : null;

    /// <summary>A trigger metadata value (e.g. MessageId, DeliveryCount), as text.</summary>
    public static string? Metadata(JsonElement body, string name) =>
        Property(body, "Metadata") is { } metadata && Property(Unwrap(metadata), name) is { } value
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
            : null;

    public static JsonElement Unwrap(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 } text || text[0] is not ('{' or '['))
        {
            return value;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return value;
        }
    }

    private static JsonElement? Property(JsonElement value, string name)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in value.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }
}

/// <summary>What a custom handler answers the host: outputs by binding name, log lines, a return value.</summary>
public sealed record InvocationResult(
    [property: JsonPropertyName("Outputs")] IReadOnlyDictionary<string, object?> Outputs,
    [property: JsonPropertyName("Logs")] IReadOnlyList<string> Logs,
    [property: JsonPropertyName("ReturnValue")] object? ReturnValue)
{
    public static InvocationResult Done(params string[] logs) => new(new Dictionary<string, object?>(), logs, null);
}
