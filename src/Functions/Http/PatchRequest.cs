using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace PartnerBase.Functions.Http;

/// <summary>
/// A PATCH body, read as a JSON merge patch (RFC 7396): a field left out stays as it is; a field sent as null is
/// cleared where it may be empty, and is a validation error where it may not. A record cannot tell a missing
/// field from a null one, so each property of a patch notes a null as the JSON reader sets it (a setter, not
/// init: the reader passes init-only properties like constructor arguments, missing ones as null). A property that
/// may be left out but not cleared is marked <see cref="DisallowNullAttribute"/>: a null is then a validation error,
/// and the OpenAPI document does not offer null for it.
/// </summary>
public abstract class PatchRequest
{
    private readonly HashSet<string> _nulls = new(StringComparer.Ordinal);

    /// <summary>Whether the body gave <paramref name="field"/> (its JSON name) as null.</summary>
    public bool IsNull(string field) => _nulls.Contains(field);

    private static readonly ConcurrentDictionary<Type, string[]> NotNullFields = new();

    /// <summary>An error for each field marked <see cref="DisallowNullAttribute"/> that the body gave as null.</summary>
    public void RejectNulls(RequestErrors errors)
    {
        foreach (var field in NotNullFieldsOf(GetType()).Where(IsNull))
        {
            errors.Add(field, "Cannot be null; leave the field out to keep its value.");
        }
    }

    /// <summary>The JSON names of the properties of <paramref name="patch"/> marked <see cref="DisallowNullAttribute"/>.</summary>
    public static string[] NotNullFieldsOf(Type patch) => NotNullFields.GetOrAdd(patch, type => type
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        // The compiler puts the attribute on the setter's value, where nullable analysis reads it.
        .Where(property => property.SetMethod?.GetParameters().Single().IsDefined(typeof(DisallowNullAttribute)) == true)
        .Select(property => JsonNamingPolicy.CamelCase.ConvertName(property.Name))
        .ToArray());

    protected T Set<T>(T value, [CallerMemberName] string property = "")
    {
        if (value is null)
        {
            _nulls.Add(JsonNamingPolicy.CamelCase.ConvertName(property));
        }

        return value;
    }
}
