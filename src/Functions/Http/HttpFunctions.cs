using System.Collections.Frozen;
using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace PartnerBase.Functions.Http;

/// <summary>The permission (Security.Permissions) a function needs; the authorization middleware checks it.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequirePermissionAttribute(string permission) : Attribute
{
    public string Permission { get; } = permission;
}

/// <summary>A POST that honours <c>Idempotency-Key</c> (CONTRACT §1); the idempotency middleware handles it.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class IdempotentAttribute : Attribute;

/// <summary>The problem responses a function can answer besides 401/403 (which every authenticated function can).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ProblemResponsesAttribute(params int[] statusCodes) : Attribute
{
    public IReadOnlyList<int> StatusCodes { get; } = statusCodes;
}

/// <summary>One HTTP-triggered function as its attributes declare it: what the middleware and the OpenAPI document read.</summary>
public sealed record HttpFunction(string Name, MethodInfo Method, HttpTriggerAttribute Trigger)
{
    public string Route => Trigger.Route ?? Name;

    public IReadOnlyList<string> HttpMethods => Trigger.Methods ?? [];

    public bool AllowsAnonymous => Method.IsDefined(typeof(AllowAnonymousAttribute));

    public string? Permission => Method.GetCustomAttribute<RequirePermissionAttribute>()?.Permission;

    public bool IsIdempotent => Method.IsDefined(typeof(IdempotentAttribute));
}

/// <summary>Every HTTP function of this app, found once by reflection over its <c>[Function]</c> methods.</summary>
public static class HttpFunctions
{
    public static FrozenDictionary<string, HttpFunction> All { get; } = typeof(HttpFunctions).Assembly.GetTypes()
        .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
        .Select(method => (Name: method.GetCustomAttribute<FunctionAttribute>()?.Name, Method: method,
            Trigger: method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(t => t is not null)))
        .Where(f => f.Name is not null && f.Trigger is not null)
        .ToFrozenDictionary(f => f.Name!, f => new HttpFunction(f.Name!, f.Method, f.Trigger!), StringComparer.Ordinal);

    /// <summary>The HTTP function this invocation runs, or null for a timer.</summary>
    public static HttpFunction? Of(FunctionContext context) => All.GetValueOrDefault(context.FunctionDefinition.Name);
}
