using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PartnerBase.Core;
using PartnerBase.Core.Commissions;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Security;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Security;

namespace PartnerBase.Functions.Commissions;

/// <summary>Requests bind every field as optional so that a missing one is a validation_failed naming it; [Required] marks what the contract requires (for the OpenAPI document).</summary>
public sealed record AttributionRequest(
    [property: Required] string? Id,
    [property: Required] string? PartnerId,
    [property: Required] string? DealId,
    [property: Required] long? AttributedAmount,
    [property: Required] string? Currency,
    [property: Required] DateTimeOffset? ClosedAt,
    [property: Required] AttributionStatus? Status);

public sealed record IngestAttributionsRequest([property: Required] List<AttributionRequest?>? Attributions);

public sealed record IngestAttributionsResponse(int Created, int Updated, int Unchanged);

public sealed record CommissionRunRequest([property: Required] string? Period, bool? DryRun);

public sealed record CommissionRunResponse(
    string Period,
    bool DryRun,
    IReadOnlyList<CommissionRunPayout> Payouts,
    IReadOnlyList<CarriedForwardResponse> CarriedForward,
    IReadOnlyList<HeldResponse> Held);

/// <summary>A payout the run created (or, in a dry run, would create: then without <c>payoutId</c>).</summary>
public sealed record CommissionRunPayout(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PayoutId,
    string PartnerId,
    string Currency,
    long Amount,
    int AttributionCount);

public sealed record CarriedForwardResponse(string PartnerId, string Currency, long Amount);

/// <summary>Commission still in the organization's holding period (CONTRACT §8): payable from the earliest closedAt + holdDays.</summary>
public sealed record HeldResponse(string PartnerId, string Currency, long Amount, int AttributionCount, DateTime PayableFrom);

/// <summary>Attributions and commission runs (CONTRACT §5), and the monthly run (§7).</summary>
public sealed partial class CommissionFunctions(CommissionService commissions, IPayoutStore store, TimeProvider timeProvider, ILogger<CommissionFunctions> logger)
{
    [Function(nameof(ImportAttributions))]
    [RequirePermission(Permissions.ManagePartners)]
    [Tags("Commissions")]
    [EndpointSummary("Post attributed deals (idempotent by id; re-post as reversed to reverse one)")]
    [Consumes(typeof(IngestAttributionsRequest), "application/json")]
    [ProblemResponses(400, 409, 413, 415)]
    public async Task<Results<Ok<IngestAttributionsResponse>, ProblemHttpResult>> ImportAttributions(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "attributions")] HttpRequest httpRequest, CancellationToken cancellationToken)
    {
        var caller = httpRequest.Caller();
        var request = await httpRequest.ReadAsync<IngestAttributionsRequest>(cancellationToken);
        var errors = new RequestErrors();
        var inputs = new List<AttributionInput>();
        if (request.Attributions is not { Count: > 0 and <= CommissionService.MaxAttributionsPerRequest } items)
        {
            return Problems.Validation("attributions", $"Give 1 to {CommissionService.MaxAttributionsPerRequest} attributions.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i] ?? new AttributionRequest(null, null, null, null, null, null, null);
            var at = $"attributions[{i}].";
            var id = errors.Required(at + "id", item.Id, 128);
            if (id is not null && (!AttributionId().IsMatch(id) || !seen.Add(id)))
            {
                errors.Add(at + "id", "Must be unique in the request and 1 to 128 letters, digits or _ . : -.");
            }

            var partnerId = errors.Required(at + "partnerId", item.PartnerId, 64);
            var dealId = errors.Required(at + "dealId", item.DealId, 128);
            var amount = errors.Amount(at + "attributedAmount", item.AttributedAmount, required: true);
            var currency = errors.Currency(at + "currency", item.Currency, required: true);
            if (item.ClosedAt is null)
            {
                errors.Add(at + "closedAt", "Required.");
            }

            if (item.Status is null)
            {
                errors.Add(at + "status", "Required: won or reversed.");
            }

            if (!errors.Any)
            {
                inputs.Add(new AttributionInput(id!, partnerId!, dealId!, new Money(amount!.Value, currency!.Value), item.ClosedAt!.Value.ToUniversalTime(), item.Status!.Value));
            }
        }

        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var result = await commissions.IngestAsync(caller.OrgId, inputs, cancellationToken);
        return result.Succeeded
            ? TypedResults.Ok(new IngestAttributionsResponse(result.Value.Created, result.Value.Updated, result.Value.Unchanged))
            : Problems.From(result.Failure!);
    }

    [Function(nameof(RunCommissions))]
    [RequirePermission(Permissions.ManagePayouts)]
    [Idempotent]
    [Tags("Commissions")]
    [EndpointSummary("Run (or preview with dryRun) a period's commissions into payouts")]
    [Consumes(typeof(CommissionRunRequest), "application/json")]
    [ProblemResponses(400, 409, 413, 415, 422)]
    public async Task<Results<Ok<CommissionRunResponse>, ProblemHttpResult>> RunCommissions(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "commission-runs")] HttpRequest httpRequest, CancellationToken cancellationToken)
    {
        var caller = httpRequest.Caller();
        var request = await httpRequest.ReadAsync<CommissionRunRequest>(cancellationToken);
        var errors = new RequestErrors();
        var period = errors.Period("period", request.Period, required: true);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var result = await commissions.RunAsync(caller.OrgId, period!.Value, request.DryRun ?? false, cancellationToken);
        return result.Succeeded ? TypedResults.Ok(ToResponse(result.Value)) : Problems.From(result.Failure!);
    }

    public static CommissionRunResponse ToResponse(CommissionRunResult result) => new(
        result.Period.ToString(),
        result.DryRun,
        result.Payouts.Select(p => new CommissionRunPayout(p.PayoutId, p.PartnerId, p.Currency.Code, p.Amount, p.AttributionCount)).ToList(),
        result.CarriedForward.Select(c => new CarriedForwardResponse(c.PartnerId, c.Currency.Code, c.Amount)).ToList(),
        result.Held.Select(h => new HeldResponse(h.PartnerId, h.Currency.Code, h.Amount, h.AttributionCount, h.PayableFrom.UtcDateTime)).ToList());

    /// <summary>
    /// The monthly timer: the previous month's run for every registered organization. One organization's failure
    /// does not stop the others, but fails the invocation; runs that already happened settle nothing twice.
    /// </summary>
    [Function(nameof(CommissionRun))]
    public async Task CommissionRun([TimerTrigger("%CommissionRunSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
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
                var run = await commissions.RunAsync(orgId, period, dryRun: false, cancellationToken);
                if (run.Succeeded)
                {
                    LogRun(logger, orgId, period, run.Value.Payouts.Count, run.Value.CarriedForward.Count, run.Value.Held.Count);
                }
                else
                {
                    LogRunRefused(logger, orgId, period, run.Failure!.Detail);
                    failed.Add(orgId);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogRunFailed(logger, exception, orgId, period);
                failed.Add(orgId);
            }
        }

        if (failed.Count > 0)
        {
            throw new InvalidOperationException($"The {period} commission run failed for {string.Join(", ", failed)}.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The timer is past due; running {Period} now.")]
    private static partial void LogPastDue(ILogger logger, Period period);

    [LoggerMessage(Level = LogLevel.Information, Message = "{OrgId}: {Period}: {Payouts} payouts, {CarriedForward} carried forward, {Held} held.")]
    private static partial void LogRun(ILogger logger, string orgId, Period period, int payouts, int carriedForward, int held);

    [LoggerMessage(Level = LogLevel.Error, Message = "{OrgId}: {Period}: {Detail}")]
    private static partial void LogRunRefused(ILogger logger, string orgId, Period period, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "{OrgId}: {Period}: the run failed.")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, string orgId, Period period);

    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,128}$")]
    private static partial Regex AttributionId();
}
