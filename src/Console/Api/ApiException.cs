using System.Net;

namespace PartnerBase.Console.Api;

/// <summary>
/// A failed API call, as a person should read it: the problem's detail (CONTRACT §1), its stable code, and the
/// validation errors by field. A network failure has no status.
/// </summary>
public sealed class ApiException(HttpStatusCode? status, string? code, string message, IReadOnlyDictionary<string, string[]>? errors = null)
    : Exception(message)
{
    public HttpStatusCode? Status { get; } = status;

    public string? Code { get; } = code;

    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors ?? new Dictionary<string, string[]>();

    public bool IsNetworkFailure => Status is null;

    /// <summary>The payout (or other resource) changed since the user saw it (412 on If-Match).</summary>
    public bool IsStale => Status == HttpStatusCode.PreconditionFailed;

    /// <summary>The message for one field, or null.</summary>
    public string? ErrorFor(string field) =>
        Errors.TryGetValue(field, out var messages) && messages.Length > 0 ? string.Join(" ", messages) : null;

    public static ApiException Network(Exception cause) =>
        new(null, "network", $"The service could not be reached ({cause.Message}). Check your connection and try again.");
}
