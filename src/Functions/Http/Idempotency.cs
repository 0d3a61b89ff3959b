using System.Security.Cryptography;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Security;

namespace PartnerBase.Functions.Http;

/// <summary>
/// Idempotency-Key handling (CONTRACT §1), modelled on Stripe's: the key is scoped to the organization; the
/// first request stores a pending record, runs, and stores its 2xx response for 24 h; a retry with the same
/// method, path and body replays it with <c>Idempotent-Replayed: true</c>; a different body is 422; a retry
/// while the first is still running is 409. Non-2xx responses change nothing, so they are not kept and the
/// client may retry (or fix the body) with the same key. A record left pending by a crashed instance can be
/// taken over after its lock expires; the endpoints themselves make that safe (deterministic ids).
/// </summary>
public sealed class IdempotencyMiddleware(IPayoutStore store, TimeProvider timeProvider) : IFunctionsWorkerMiddleware
{
    public const string HeaderName = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxKeyLength = 255;

    private static readonly TimeSpan Retention = TimeSpan.FromHours(24);
    private static readonly TimeSpan Lock = TimeSpan.FromMinutes(1);

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (HttpFunctions.Of(context) is not { IsIdempotent: true }
            || context.GetHttpContext() is not { } httpContext
            || !httpContext.Request.Headers.TryGetValue(HeaderName, out var header)
            || httpContext.Features.Get<Caller>() is not { } caller)
        {
            await next(context);
            return;
        }

        var key = header.ToString();

        if (string.IsNullOrWhiteSpace(key) || key.Length > MaxKeyLength)
        {
            Respond(context, StatusCodes.Status400BadRequest, "validation_failed",
                $"{HeaderName} must be 1 to {MaxKeyLength} characters.", new() { [HeaderName] = [$"Must be 1 to {MaxKeyLength} characters."] });
            return;
        }

        var cancellationToken = httpContext.RequestAborted;
        var hash = await HashRequestAsync(httpContext.Request, cancellationToken);
        var now = timeProvider.GetUtcNow();
        var pending = new IdempotencyRecord(caller.OrgId, key, hash, now, now + Lock, now + Retention, Response: null);

        // Claim the key first: on the usual path (a new key) that is the only extra request.
        if (!await store.TryCreateIdempotencyRecordAsync(pending, cancellationToken))
        {
            var existing = await store.GetIdempotencyRecordAsync(caller.OrgId, key, cancellationToken);
            if (existing is not null && existing.RequestHash != hash)
            {
                Respond(context, StatusCodes.Status422UnprocessableEntity, "idempotency_key_reuse",
                    $"This {HeaderName} was used with a different request.");
                return;
            }

            if (existing?.Response is { } saved)
            {
                context.GetInvocationResult().Value = new Replay(saved);
                return;
            }

            // Still running elsewhere, unless its lock expired (that instance died): then take the key over.
            if (existing is not null && existing.LockedUntil > now)
            {
                Respond(context, StatusCodes.Status409Conflict, "conflict",
                    $"A request with this {HeaderName} is still being processed; retry later.");
                return;
            }

            await store.DeleteIdempotencyRecordAsync(caller.OrgId, key, cancellationToken);
            if (!await store.TryCreateIdempotencyRecordAsync(pending, cancellationToken))
            {
                Respond(context, StatusCodes.Status409Conflict, "conflict",
                    $"A request with this {HeaderName} is still being processed; retry later.");
                return;
            }
        }

        await RunAndKeepAsync(context, next, httpContext, pending);
    }

    /// <summary>Runs the function and writes its result into a buffer, to keep a 2xx answer before sending it.</summary>
    private async Task RunAndKeepAsync(FunctionContext function, FunctionExecutionDelegate next, HttpContext context, IdempotencyRecord pending)
    {
        var responseBody = context.Response.Body;
        using var buffer = new MemoryStream();
        var kept = false;
        try
        {
            await next(function);
            if (function.GetInvocationResult().Value is IResult result)
            {
                context.Response.Body = buffer;
                await result.ExecuteAsync(context);
            }

            var response = context.Response;
            if (response.StatusCode is >= 200 and < 300)
            {
                var saved = new SavedResponse(response.StatusCode, response.ContentType, response.Headers.Location, response.Headers.ETag, buffer.ToArray());
                await store.CompleteIdempotencyRecordAsync(pending with { Response = saved }, CancellationToken.None);
                kept = true;
            }
        }
        finally
        {
            context.Response.Body = responseBody;
            if (!kept)
            {
                await store.DeleteIdempotencyRecordAsync(pending.OrgId, pending.Key, CancellationToken.None);
            }
        }

        // Status and headers are set; the body goes out when the worker executes this result.
        function.GetInvocationResult().Value = new Buffered(buffer.ToArray());
    }

    private static async Task<string> HashRequestAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        request.EnableBuffering();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{request.Method} {request.Path}\n"));
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            sha.AppendData(chunk, 0, read);
        }

        request.Body.Position = 0;
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static void Respond(FunctionContext function, int status, string code, string detail, Dictionary<string, string[]>? errors = null)
    {
        var problem = errors is null ? new ProblemDetails() : new HttpValidationProblemDetails(errors);
        problem.Status = status;
        problem.Detail = detail;
        problem.Extensions["code"] = code;
        function.GetInvocationResult().Value = TypedResults.Problem(problem);
    }

    private sealed class Buffered(byte[] body) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => httpContext.Response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }

    private sealed class Replay(SavedResponse saved) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = saved.StatusCode;
            response.ContentType = saved.ContentType;
            if (saved.Location is not null)
            {
                response.Headers.Location = saved.Location;
            }

            if (saved.ETag is not null)
            {
                response.Headers.ETag = saved.ETag;
            }

            response.Headers[ReplayedHeader] = "true";
            await response.Body.WriteAsync(saved.Body, httpContext.RequestAborted);
        }
    }
}
