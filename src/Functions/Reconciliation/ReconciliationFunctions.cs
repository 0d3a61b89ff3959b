using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PartnerBase.Core;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Security;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Security;

namespace PartnerBase.Functions.Reconciliation;

/// <summary>Payment reconciliation (CONTRACT §10): run one, list and read reports; the daily timer.</summary>
public sealed partial class ReconciliationFunctions(ReconciliationService reconciliation, IPayoutStore store, TimeProvider timeProvider, ILogger<ReconciliationFunctions> logger)
{
    /// <summary>A window longer than this is refused: a run reads every transfer in it.</summary>
    public const int MaxDays = 366;

    private static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(7);

    [Function(nameof(CreateReconciliationRun))]
    [RequirePermission(Permissions.Reconcile)]
    [Idempotent]
    [Tags("Reconciliation")]
    [EndpointSummary("Compare the payouts paid through the payment provider in a window with the provider's transfers")]
    [EndpointDescription("from and to are ISO 8601 dates (00:00 UTC) or timestamps with an offset; from inclusive, to exclusive; default the last 7 days up to now. A run with issues emails the organization's financeEmails.")]
    [Consumes(typeof(CreateReconciliationRunRequest), "application/json")]
    [ProblemResponses(400, 409, 413, 415, 422)]
    public async Task<Results<Created<ReconciliationRunResponse>, ProblemHttpResult>> CreateReconciliationRun(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "reconciliation-runs")] HttpRequest request, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var body = await request.ReadAsync<CreateReconciliationRunRequest>(cancellationToken);
        var errors = new RequestErrors();
        var now = timeProvider.GetUtcNow();
        var to = Instant(errors, "to", body.To) ?? now;
        var from = Instant(errors, "from", body.From) ?? to - DefaultWindow;
        if (!errors.Any && from >= to)
        {
            errors.Add("from", "Must be before to.");
        }
        else if (!errors.Any && to - from > TimeSpan.FromDays(MaxDays))
        {
            errors.Add("from", $"The window may span at most {MaxDays} days.");
        }

        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var id = PayoutService.NewId("rc_");
        var report = await reconciliation.RunAsync(id, caller.OrgId, from, to, cancellationToken);
        return TypedResults.Created($"/api/reconciliation-runs/{id}", report);
    }

    [Function(nameof(ListReconciliationRuns))]
    [RequirePermission(Permissions.Reconcile)]
    [Tags("Reconciliation")]
    [EndpointSummary("List reconciliation runs with their issues, newest first")]
    [QueryParameter("limit", "Page size, 1 to 100 (default 25).")]
    [QueryParameter("cursor", "The nextCursor of the previous page.")]
    [ProblemResponses(400)]
    public async Task<Results<Ok<PageResponse<ReconciliationRunResponse>>, ProblemHttpResult>> ListReconciliationRuns(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reconciliation-runs")] HttpRequest request, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var errors = new RequestErrors();
        var page = errors.Page(request.Query["limit"], request.Query["cursor"]);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var result = await store.ListReconciliationsAsync(caller.OrgId, page!, cancellationToken);
        var reports = await Task.WhenAll(result.Items.Select(entry => reconciliation.GetAsync(caller.OrgId, entry.Id, cancellationToken)));
        return TypedResults.Ok(new PageResponse<ReconciliationRunResponse>(reports.OfType<ReconciliationRunResponse>().ToList(), Cursor.Encode(result.Next)));
    }

    [Function(nameof(GetReconciliationRun))]
    [RequirePermission(Permissions.Reconcile)]
    [Tags("Reconciliation")]
    [EndpointSummary("Get a reconciliation run's report")]
    [ProblemResponses(404)]
    public async Task<Results<Ok<ReconciliationRunResponse>, ProblemHttpResult>> GetReconciliationRun(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reconciliation-runs/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var report = RunId().IsMatch(id) ? await reconciliation.GetAsync(caller.OrgId, id, cancellationToken) : null;
        return report is null ? Problems.From(Failure.NotFound("Reconciliation run", id)) : TypedResults.Ok(report);
    }

    /// <summary>
    /// The daily timer: yesterday (00:00 to 00:00 UTC) for every organization. Its run id is the organization's and
    /// the day's, so a repeated or past-due delivery rewrites the same report and mails nobody twice.
    /// </summary>
    [Function(nameof(ReconcilePayments))]
    public async Task ReconcilePayments([TimerTrigger("%ReconciliationSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var to = new DateTimeOffset(timeProvider.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);
        var from = to.AddDays(-1);
        if (timer.IsPastDue)
        {
            LogPastDue(logger, from);
        }

        var failed = new List<string>();
        foreach (var orgId in await store.GetOrganizationsAsync(cancellationToken))
        {
            try
            {
                var id = PayoutService.IdFromKey("rc_", orgId, $"daily|{from:yyyy-MM-dd}");
                await reconciliation.RunAsync(id, orgId, from, to, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogFailed(logger, exception, orgId, from);
                failed.Add(orgId);
            }
        }

        if (failed.Count > 0)
        {
            throw new InvalidOperationException($"Reconciling {from:yyyy-MM-dd} failed for {string.Join(", ", failed)}.");
        }
    }

    /// <summary>A date (its 00:00 UTC) or a timestamp with an offset; null when absent.</summary>
    private static DateTimeOffset? Instant(RequestErrors errors, string field, string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }

        if (text.Contains('T', StringComparison.Ordinal) && HasOffset(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var instant))
        {
            return instant;
        }

        errors.Add(field, "Must be an ISO 8601 date (2026-11-01) or a timestamp with an offset (2026-11-01T00:00:00Z).");
        return null;
    }

    private static bool HasOffset(string text) =>
        text.EndsWith('Z') || text.EndsWith('z') || OffsetSuffix().IsMatch(text);

    [GeneratedRegex(@"[+-]\d{2}:?\d{2}$")]
    private static partial Regex OffsetSuffix();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex RunId();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The timer is past due; reconciling {Day:yyyy-MM-dd} now.")]
    private static partial void LogPastDue(ILogger logger, DateTimeOffset day);

    [LoggerMessage(Level = LogLevel.Error, Message = "{OrgId}: reconciling {Day:yyyy-MM-dd} failed.")]
    private static partial void LogFailed(ILogger logger, Exception exception, string orgId, DateTimeOffset day);
}
