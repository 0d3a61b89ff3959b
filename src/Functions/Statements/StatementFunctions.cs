using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using PartnerBase.Core;
using PartnerBase.Core.Security;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Security;

namespace PartnerBase.Functions.Statements;

/// <summary>Partner statements (CONTRACT §10): generate a period's, list a partner's, read one as PDF or JSON; the monthly timer.</summary>
public sealed partial class StatementFunctions(StatementService statements, IPayoutStore store, TimeProvider timeProvider, ILogger<StatementFunctions> logger)
{
    private static readonly string[] Offered = [StatementService.PdfType, StatementService.JsonType];

    [Function(nameof(CreateStatements))]
    [RequirePermission(Permissions.GenerateStatements)]
    [Idempotent]
    [Tags("Statements")]
    [EndpointSummary("Generate the period's statement of every partner with anything to report in it")]
    [EndpointDescription("Each statement is written as PDF and JSON; generating a period again writes new versions and keeps the earlier ones.")]
    [Consumes(typeof(CreateStatementsRequest), "application/json")]
    [ProblemResponses(400, 409, 413, 415, 422)]
    public async Task<Results<Ok<CreateStatementsResponse>, ProblemHttpResult>> CreateStatements(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "statements")] HttpRequest request, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var body = await request.ReadAsync<CreateStatementsRequest>(cancellationToken);
        var errors = new RequestErrors();
        var period = errors.Period("period", body.Period, required: true);
        if (period is { } p && p.Start > timeProvider.GetUtcNow())
        {
            errors.Add("period", $"{p} has not started yet.");
        }

        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var entries = await statements.GenerateAsync(caller.OrgId, period!.Value, cancellationToken);
        return TypedResults.Ok(new CreateStatementsResponse(period.Value.ToString(), entries.Select(e => e.ToResponse()).ToList()));
    }

    [Function(nameof(ListPartnerStatements))]
    [RequirePermission(Permissions.ReadOwnPayouts)]
    [Tags("Statements")]
    [EndpointSummary("List a partner's statements, newest period first")]
    [QueryParameter("limit", "Page size, 1 to 100 (default 25).")]
    [QueryParameter("cursor", "The nextCursor of the previous page.")]
    [ProblemResponses(400, 404)]
    public async Task<Results<Ok<PageResponse<StatementEntryResponse>>, ProblemHttpResult>> ListPartnerStatements(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "partners/{partnerId}/statements")] HttpRequest request, string partnerId, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        if (caller.PartnerScope is { } scope && scope != partnerId)
        {
            return Problems.From(Failure.NotFound("Partner", partnerId));
        }

        var errors = new RequestErrors();
        var page = errors.Page(request.Query["limit"], request.Query["cursor"]);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var result = await store.ListStatementsAsync(caller.OrgId, partnerId, page!, cancellationToken);
        return TypedResults.Ok(new PageResponse<StatementEntryResponse>(result.Items.Select(e => e.ToResponse()).ToList(), Cursor.Encode(result.Next)));
    }

    [Function(nameof(GetPartnerStatement))]
    [RequirePermission(Permissions.ReadOwnPayouts)]
    [Tags("Statements")]
    [EndpointSummary("A partner's latest statement of a period: PDF (the default, or Accept: application/pdf) or JSON (Accept: application/json)")]
    [ProducesResponseType(typeof(StatementResponse), StatusCodes.Status200OK, StatementService.PdfType, StatementService.JsonType)]
    [ProblemResponses(400, 404, 406)]
    public async Task<IResult> GetPartnerStatement(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "partners/{partnerId}/statements/{period}")] HttpRequest request,
        string partnerId,
        string period,
        CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        if (caller.PartnerScope is { } scope && scope != partnerId)
        {
            return Problems.From(Failure.NotFound("Statement", $"{partnerId}/{period}"));
        }

        if (!Period.TryParse(period, out var parsed))
        {
            return Problems.Validation("period", "Must be a month (YYYY-MM) or a quarter (YYYY-Qn).");
        }

        if (Negotiate(request) is not { } mediaType)
        {
            return Problems.NotAcceptable(Offered);
        }

        var document = await statements.ReadAsync(caller.OrgId, partnerId, parsed, mediaType, cancellationToken);
        if (document is null)
        {
            return Problems.From(Failure.NotFound("Statement", $"{partnerId}/{parsed}"));
        }

        request.HttpContext.Response.Headers.Vary = HeaderNames.Accept;
        return mediaType == StatementService.PdfType
            ? TypedResults.Bytes(document.Content.ToMemory(), mediaType, $"statement-{partnerId}-{parsed}.pdf")
            : TypedResults.Bytes(document.Content.ToMemory(), mediaType);
    }

    /// <summary>
    /// The monthly timer: the previous month's statements for every organization, after its commission run (CONTRACT
    /// §10). A repeat or past-due delivery writes a complete new version; one organization's failure does not stop the
    /// others, but fails the invocation.
    /// </summary>
    [Function(nameof(GenerateStatements))]
    public async Task GenerateStatements([TimerTrigger("%StatementsSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var lastMonth = timeProvider.GetUtcNow().AddMonths(-1);
        var period = Period.Month(lastMonth.Year, lastMonth.Month);
        if (timer.IsPastDue)
        {
            LogPastDue(logger, period);
        }

        var failed = new List<string>();
        foreach (var orgId in await store.GetOrganizationsAsync(cancellationToken))
        {
            try
            {
                var entries = await statements.GenerateAsync(orgId, period, cancellationToken);
                LogGenerated(logger, orgId, period, entries.Count);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogFailed(logger, exception, orgId, period);
                failed.Add(orgId);
            }
        }

        if (failed.Count > 0)
        {
            throw new InvalidOperationException($"The {period} statements failed for {string.Join(", ", failed)}.");
        }
    }

    /// <summary>The offered type the Accept header prefers (PDF when it names none or accepts anything); null when it accepts neither.</summary>
    private static string? Negotiate(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0)
        {
            return StatementService.PdfType;
        }

        string? best = null;
        double bestQuality = 0;
        foreach (var offered in Offered)
        {
            var quality = accept
                .Where(range => new MediaTypeHeaderValue(offered).IsSubsetOf(range))
                .OrderByDescending(range => range.MatchesAllTypes ? 0 : range.MatchesAllSubTypes ? 1 : 2)
                .Select(range => range.Quality ?? 1)
                .DefaultIfEmpty(0)
                .First();
            if (quality > bestQuality)
            {
                (best, bestQuality) = (offered, quality);
            }
        }

        return best;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The timer is past due; generating the {Period} statements now.")]
    private static partial void LogPastDue(ILogger logger, Period period);

    [LoggerMessage(Level = LogLevel.Information, Message = "{OrgId}: {Period}: {Count} statements.")]
    private static partial void LogGenerated(ILogger logger, string orgId, Period period, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "{OrgId}: {Period}: generating statements failed.")]
    private static partial void LogFailed(ILogger logger, Exception exception, string orgId, Period period);
}
