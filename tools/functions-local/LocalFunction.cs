namespace PartnerBase.FunctionsLocal;

public enum FunctionKind
{
    Http,
    Timer,
    Other,
}

/// <summary>A function as the host indexed it.</summary>
/// <param name="TriggerType">The trigger binding's type, e.g. <c>httpTrigger</c>.</param>
/// <param name="Methods">Upper-case HTTP methods; empty for every method (and for non-HTTP functions).</param>
/// <param name="Route">HTTP only: the route template including the prefix, e.g. <c>api/payouts/{id}</c>.</param>
/// <param name="Schedule">Timers only: the NCRONTAB schedule with app settings resolved.</param>
public sealed record LocalFunction(
    string Name,
    FunctionKind Kind,
    string TriggerType,
    IReadOnlyList<string> Methods,
    string? Route,
    string? Schedule);

public sealed record InvocationResult(string InvocationId, bool Succeeded, string? Error, TimeSpan Duration);
