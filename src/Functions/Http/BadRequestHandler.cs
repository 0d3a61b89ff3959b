using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace PartnerBase.Functions.Http;

/// <summary>
/// Turns request-binding failures (malformed JSON, wrong JSON types, unparsable query values, oversize or
/// non-JSON bodies) into problem+json naming the field at fault. Binding throws these because
/// <c>RouteHandlerOptions.ThrowOnBadRequest</c> is on.
/// </summary>
public sealed partial class BadRequestHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var status = badRequest.StatusCode;
        ProblemDetails problem;
        if (status == StatusCodes.Status400BadRequest)
        {
            var (field, message) = Describe(badRequest);
            problem = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
            {
                Detail = badRequest.InnerException is JsonException ? "The request body is not valid JSON for this operation." : message,
            };
        }
        else
        {
            problem = new ProblemDetails
            {
                Detail = status switch
                {
                    StatusCodes.Status413PayloadTooLarge => $"The request body is larger than {RequestLimits.MaxBodyBytes} bytes.",
                    StatusCodes.Status415UnsupportedMediaType => "The request body must be application/json.",
                    _ => badRequest.Message,
                },
            };
        }

        problem.Status = status;
        httpContext.Response.StatusCode = status;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    private static (string Field, string Message) Describe(BadHttpRequestException exception)
    {
        if (exception.InnerException is JsonException json)
        {
            // System.Text.Json wraps a syntax error around its (internal) JsonReaderException, whose path is
            // merely where parsing stopped; for a value of the wrong type or range the path names the field
            // ("$.metadata.region", "$.payoutIds[3]").
            var syntaxError = json.InnerException?.GetType().Name == "JsonReaderException";
            var field = !syntaxError && json.Path is { } path ? TopLevelProperty().Match(path).Groups[1].Value : "";
            return field.Length == 0
                ? ("body", "The body is not well-formed JSON of the expected shape.")
                : (field, "The value has the wrong type or is out of range.");
        }

        // Only the body can fail to bind (query values are read as text and validated with the other fields):
        // 'Implicit body inferred for parameter "request" but no body was provided.'
        if (exception.Message.Contains("body", StringComparison.Ordinal))
        {
            return ("body", "A JSON request body is required.");
        }

        return ("body", exception.Message);
    }

    [GeneratedRegex(@"^\$\.?([A-Za-z0-9_]*)")]
    private static partial Regex TopLevelProperty();
}

public static class RequestLimits
{
    public const long MaxBodyBytes = 1024 * 1024;
}
