using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PartnerBase.Core;

namespace PartnerBase.Functions.Http;

/// <summary>The one place where outcomes become RFC 9457 problem+json responses with a stable <c>code</c>.</summary>
public static class Problems
{
    public static ProblemHttpResult From(Failure failure)
    {
        var status = StatusOf(failure.Code);
        var problem = failure.Errors is null
            ? new ProblemDetails()
            : new HttpValidationProblemDetails(failure.Errors.ToDictionary());
        problem.Status = status;
        problem.Detail = failure.Detail;
        problem.Extensions["code"] = CodeOf(failure.Code);
        return TypedResults.Problem(problem);
    }

    public static ProblemHttpResult Validation(string field, string message) => From(Failure.Validation(field, message));

    public static ProblemHttpResult Validation(string field, string message, string detail) =>
        TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Detail = detail,
            Extensions = { ["code"] = "validation_failed" },
        });

    /// <summary>A problem of the middleware's own (401, 403, 413, 415, 500): <see cref="AddCode"/> gives its code and detail.</summary>
    public static ProblemHttpResult Status(int status) => TypedResults.Problem(statusCode: status);

    /// <summary>406: the Accept header accepts none of the media types a resource is offered in.</summary>
    public static ProblemHttpResult NotAcceptable(IEnumerable<string> offered) => TypedResults.Problem(new ProblemDetails
    {
        Status = StatusCodes.Status406NotAcceptable,
        Detail = $"Available as {string.Join(" or ", offered)}.",
        Extensions = { ["code"] = "not_acceptable" },
    });

    public static int StatusOf(FailureCode code) => code switch
    {
        FailureCode.ValidationFailed => StatusCodes.Status400BadRequest,
        FailureCode.Forbidden or FailureCode.SeparationOfDuties => StatusCodes.Status403Forbidden,
        FailureCode.NotFound => StatusCodes.Status404NotFound,
        FailureCode.InvalidTransition or FailureCode.Conflict or FailureCode.PayeeNotPayable or FailureCode.DuplicateApproval => StatusCodes.Status409Conflict,
        FailureCode.PreconditionFailed => StatusCodes.Status412PreconditionFailed,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };

    public static string CodeOf(FailureCode code) => JsonNamingPolicy.SnakeCaseLower.ConvertName(code.ToString());

    /// <summary>
    /// Gives every problem response a <c>code</c>, including those the framework writes itself
    /// (401 from the JWT handler, 403 from authorization, 404 for unknown routes, 500).
    /// </summary>
    public static void AddCode(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (!problem.Extensions.ContainsKey("code"))
        {
            problem.Extensions["code"] = problem.Status switch
            {
                StatusCodes.Status400BadRequest => "validation_failed",
                StatusCodes.Status401Unauthorized => "unauthenticated",
                StatusCodes.Status403Forbidden => "forbidden",
                StatusCodes.Status404NotFound => "not_found",
                StatusCodes.Status405MethodNotAllowed => "method_not_allowed",
                StatusCodes.Status409Conflict => "conflict",
                StatusCodes.Status412PreconditionFailed => "precondition_failed",
                StatusCodes.Status413PayloadTooLarge => "payload_too_large",
                StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type",
                StatusCodes.Status422UnprocessableEntity => "idempotency_key_reuse",
                _ => "internal_error",
            };
        }

        problem.Detail ??= problem.Status switch
        {
            StatusCodes.Status401Unauthorized => "A valid bearer token is required.",
            StatusCodes.Status403Forbidden => "Your roles do not allow this action.",
            StatusCodes.Status404NotFound => "No such resource.",
            StatusCodes.Status405MethodNotAllowed => $"This route does not take {context.HttpContext.Request.Method}.",
            StatusCodes.Status413PayloadTooLarge => $"The request body is larger than {RequestLimits.MaxBodyBytes} bytes.",
            StatusCodes.Status415UnsupportedMediaType => "The request body must be application/json.",
            >= 500 => "An unexpected error occurred; it has been logged.",
            _ => null,
        };
    }
}
