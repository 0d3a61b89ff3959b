using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using PartnerBase.Core;
using PartnerBase.Core.Commissions;
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

public sealed record CommissionRunResponse(string Period, bool DryRun, IReadOnlyList<CommissionRunPayout> Payouts, IReadOnlyList<CarriedForwardResponse> CarriedForward);

/// <summary>A payout the run created (or, in a dry run, would create: then without <c>payoutId</c>).</summary>
public sealed record CommissionRunPayout(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PayoutId,
    string PartnerId,
    string Currency,
    long Amount,
    int AttributionCount);

public sealed record CarriedForwardResponse(string PartnerId, string Currency, long Amount);

public static partial class CommissionsApi
{
    public static IEndpointRouteBuilder MapCommissionsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/attributions", IngestAsync).WithName("IngestAttributions").WithTags("Commissions")
            .RequireAuthorization(Permissions.ManagePartners).WithStandardProblems().ProducesProblem(400).ProducesProblem(409);
        routes.MapPost("/api/commission-runs", RunAsync).WithName("RunCommissions").WithTags("Commissions")
            .RequireAuthorization(Permissions.ManagePayouts).WithMetadata(IdempotentEndpoint.Instance)
            .WithStandardProblems().ProducesProblem(400).ProducesProblem(409).ProducesProblem(422);
        return routes;
    }

    private static async Task<Results<Ok<IngestAttributionsResponse>, ProblemHttpResult>> IngestAsync(
        IngestAttributionsRequest request, Caller caller, CommissionService commissions, CancellationToken cancellationToken)
    {
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

    private static async Task<Results<Ok<CommissionRunResponse>, ProblemHttpResult>> RunAsync(
        CommissionRunRequest request, Caller caller, CommissionService commissions, CancellationToken cancellationToken)
    {
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
        result.CarriedForward.Select(c => new CarriedForwardResponse(c.PartnerId, c.Currency.Code, c.Amount)).ToList());

    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,128}$")]
    private static partial Regex AttributionId();
}
