using System.Runtime.CompilerServices;
using System.Text.Json;

namespace PartnerBase.Functions.Http;

/// <summary>
/// A PATCH body, read as a JSON merge patch (RFC 7396): a field left out stays as it is; a field sent as null is
/// cleared where it may be empty, and is a validation error where it may not. A record cannot tell a missing
/// field from a null one, so each property of a patch notes a null as the JSON reader sets it (a setter, not
/// init: the reader passes init-only properties like constructor arguments, missing ones as null).
/// </summary>
public abstract class PatchRequest
{
    private readonly HashSet<string> _nulls = new(StringComparer.Ordinal);

    /// <summary>Whether the body gave <paramref name="field"/> (its JSON name) as null.</summary>
    public bool IsNull(string field) => _nulls.Contains(field);

    /// <summary>An error for each of <paramref name="fields"/> that the body gave as null.</summary>
    public void RejectNulls(RequestErrors errors, params string[] fields)
    {
        foreach (var field in fields.Where(IsNull))
        {
            errors.Add(field, "Cannot be null; leave the field out to keep its value.");
        }
    }

    protected T Set<T>(T value, [CallerMemberName] string property = "")
    {
        if (value is null)
        {
            _nulls.Add(JsonNamingPolicy.CamelCase.ConvertName(property));
        }

        return value;
    }
}
