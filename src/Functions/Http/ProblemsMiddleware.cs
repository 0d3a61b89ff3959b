using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace PartnerBase.Functions.Http;

public static class RequestLimits
{
    public const long MaxBodyBytes = 1024 * 1024;
}

/// <summary>
/// The outermost middleware of every HTTP function (it also exposes the API's headers to browsers): an oversized body is 413 before anything reads it, a request the
/// function could not read (malformed JSON, wrong types, a body that is not JSON or grows past the limit) is a
/// problem naming the field at fault, and any other exception is a logged 500 problem — never a bare error page.
/// </summary>
public sealed partial class ProblemsMiddleware(ILogger<ProblemsMiddleware> logger) : IFunctionsWorkerMiddleware
{
    private const string ExposedHeaders = "ETag, Location, " + IdempotencyMiddleware.ReplayedHeader + ", Content-Disposition";

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is not { } httpContext)
        {
            await next(context);
            return;
        }

        if (httpContext.Request.Headers.Origin.Count > 0)
        {
            // CORS is the platform's (the Function App's allowed origins; Host.CORS locally), which lets browsers read
            // only the basic response headers; these are the ones a frontend needs too.
            httpContext.Response.Headers.AccessControlExposeHeaders = ExposedHeaders;
        }

        if (httpContext.Request.ContentLength > RequestLimits.MaxBodyBytes)
        {
            // Answered before reading; the server's own, larger limit lets it drain the body, so that the host
            // forwarding the request finishes sending it and passes this answer on instead of a broken connection.
            context.GetInvocationResult().Value = Problems.Status(StatusCodes.Status413PayloadTooLarge);
            return;
        }

        if (httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // A body without a length (chunked) fails with 413 when reading passes the limit.
            limit.MaxRequestBodySize = RequestLimits.MaxBodyBytes;
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException exception)
        {
            context.GetInvocationResult().Value = FromBadRequest(exception);
        }
        catch (Exception exception) when (!httpContext.RequestAborted.IsCancellationRequested)
        {
            LogFailure(logger, exception, context.FunctionDefinition.Name);
            context.GetInvocationResult().Value = Problems.Status(StatusCodes.Status500InternalServerError);
        }
    }

    private static ProblemHttpResult FromBadRequest(BadHttpRequestException exception)
    {
        if (exception.StatusCode != StatusCodes.Status400BadRequest)
        {
            return Problems.Status(exception.StatusCode);
        }

        if (exception.InnerException is JsonException json)
        {
            // System.Text.Json wraps a syntax error around its (internal) JsonReaderException, whose path is merely
            // where parsing stopped; for a value of the wrong type or range the path names the field
            // ("$.metadata.region", "$.payoutIds[3]").
            var syntaxError = json.InnerException?.GetType().Name == "JsonReaderException";
            var field = !syntaxError && json.Path is { } path ? TopLevelProperty().Match(path).Groups[1].Value : "";
            return Problems.Validation(
                field.Length == 0 ? "body" : field,
                field.Length == 0 ? "The body is not well-formed JSON of the expected shape." : "The value has the wrong type or is out of range.",
                "The request body is not valid JSON for this operation.");
        }

        return Problems.Validation("body", exception.Message);
    }

    [GeneratedRegex(@"^\$\.?([A-Za-z0-9_]*)")]
    private static partial Regex TopLevelProperty();

    [LoggerMessage(Level = LogLevel.Error, Message = "Function {Function} failed.")]
    private static partial void LogFailure(ILogger logger, Exception exception, string function);
}
