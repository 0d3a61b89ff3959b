using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using PartnerBase.Functions.Security;

namespace PartnerBase.Functions.Http;

/// <summary>
/// Validates the bearer token of every function not marked anonymous with ASP.NET Core's JWT bearer handler (the
/// same validation as a web app's: dotnet user-jwts keys in Development, Entra ID otherwise) and makes the
/// <see cref="Caller"/> of the request. No token, a bad one, or one without org_id/sub is 401 with a
/// <c>WWW-Authenticate</c> challenge.
/// </summary>
public sealed class AuthenticationMiddleware : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (HttpFunctions.Of(context) is not { AllowsAnonymous: false } || context.GetHttpContext() is not { } httpContext)
        {
            await next(context);
            return;
        }

        var result = await httpContext.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (result.Principal is not { } principal || Caller.From(principal) is not { } caller)
        {
            await httpContext.ChallengeAsync(JwtBearerDefaults.AuthenticationScheme);
            context.GetInvocationResult().Value = Problems.Status(StatusCodes.Status401Unauthorized);
            return;
        }

        httpContext.User = principal;
        httpContext.Features.Set(caller);
        await next(context);
    }
}

/// <summary>Refuses (403 <c>forbidden</c>) a caller whose roles lack the permission the function declares.</summary>
public sealed class AuthorizationMiddleware : IFunctionsWorkerMiddleware
{
    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (HttpFunctions.Of(context) is { Permission: { } permission }
            && context.GetHttpContext()?.Features.Get<Caller>() is { } caller
            && !caller.May(permission))
        {
            context.GetInvocationResult().Value = Problems.Status(StatusCodes.Status403Forbidden);
            return Task.CompletedTask;
        }

        return next(context);
    }
}
