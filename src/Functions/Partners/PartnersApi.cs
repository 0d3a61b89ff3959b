using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using PartnerBase.Core;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Payouts;
using PartnerBase.Functions.Security;

namespace PartnerBase.Functions.Partners;

public sealed record CreatePartnerRequest(string? Id, [property: Required] string? Name, [property: Required] string? Email, [property: Required] int? CommissionRateBps, string? PayoutCurrency, string? PayoutAccountId);

/// <summary>A partial update; an empty string clears <c>payoutCurrency</c> or <c>payoutAccountId</c>.</summary>
public sealed class UpdatePartnerRequest : PatchRequest
{
    public string? Name { get; set => field = Set(value); }

    public string? Email { get; set => field = Set(value); }

    public int? CommissionRateBps { get; set => field = Set(value); }

    /// <summary>Null or "" clears it.</summary>
    public string? PayoutCurrency { get; set => field = Set(value); }

    /// <summary>Null or "" clears it (automatic payments then leave the partner's payouts to finance).</summary>
    public string? PayoutAccountId { get; set => field = Set(value); }
}

public sealed record PartnerResponse(
    string Id,
    string Name,
    string Email,
    int CommissionRateBps,
    string? PayoutCurrency,
    string? PayoutAccountId,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    long Version);

public static partial class PartnersApi
{
    private const int MaxNameLength = 200;
    private const int MaxAccountIdLength = 255;

    public static RouteGroupBuilder MapPartnersApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/partners").WithTags("Partners").RequireAuthorization().WithStandardProblems();
        group.MapGet("", List).WithName("ListPartners").RequireAuthorization(Permissions.Read).ProducesProblem(400);
        group.MapPost("", Create).WithName("CreatePartner").RequireAuthorization(Permissions.ManagePartners).ProducesProblem(400).ProducesProblem(409);
        group.MapGet("/{id}", Get).WithName("GetPartner").RequireAuthorization(Permissions.Read).ProducesProblem(404);
        group.MapPatch("/{id}", Update).WithName("UpdatePartner").RequireAuthorization(Permissions.ManagePartners)
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(412);
        group.MapGet("/{id}/payout-summary", Summary).WithName("GetPartnerPayoutSummary").RequireAuthorization(Permissions.ReadOwnPayouts).ProducesProblem(404);
        return group;
    }

    private static async Task<Results<Ok<PageResponse<PartnerResponse>>, ProblemHttpResult>> List(
        Caller caller, string? limit, string? cursor, IPayoutStore store, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var page = errors.Page(limit, cursor);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var result = await store.ListPartnersAsync(caller.OrgId, page!, cancellationToken);
        return TypedResults.Ok(new PageResponse<PartnerResponse>(result.Items.Select(ToResponse).ToList(), Cursor.Encode(result.Next)));
    }

    private static async Task<Results<Created<PartnerResponse>, ProblemHttpResult>> Create(
        CreatePartnerRequest request, Caller caller, HttpContext httpContext, IPayoutStore store, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var id = request.Id ?? PayoutService.NewId("pt_");
        if (!PartnerId().IsMatch(id))
        {
            errors.Add("id", "Must be 1 to 64 letters, digits, '_' or '-'.");
        }

        var name = errors.Required("name", request.Name, MaxNameLength);
        var email = errors.Email("email", request.Email, required: true);
        var rate = CommissionRate(errors, request.CommissionRateBps, required: true);
        var currency = errors.Currency("payoutCurrency", request.PayoutCurrency, required: false);
        var account = errors.Text("payoutAccountId", request.PayoutAccountId, MaxAccountIdLength);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var now = timeProvider.GetUtcNow();
        var partner = new Partner(id, caller.OrgId, name!, email!, rate!.Value, currency, NullIfEmpty(account), now, now, 1);
        if (!await store.TryCreatePartnerAsync(partner, cancellationToken))
        {
            return Problems.From(Failure.Conflict($"A partner with id '{id}' already exists."));
        }

        // An organization with partners takes part in the monthly commission run.
        await store.RegisterOrganizationAsync(caller.OrgId, cancellationToken);

        httpContext.Response.Headers.ETag = ETags.For(partner.Version);
        return TypedResults.Created($"/api/partners/{Uri.EscapeDataString(id)}", ToResponse(partner));
    }

    private static async Task<Results<Ok<PartnerResponse>, ProblemHttpResult>> Get(
        string id, Caller caller, HttpContext httpContext, IPayoutStore store, CancellationToken cancellationToken)
    {
        var partner = await store.GetPartnerAsync(caller.OrgId, id, cancellationToken);
        if (partner is null)
        {
            return Problems.From(Failure.NotFound("Partner", id));
        }

        httpContext.Response.Headers.ETag = ETags.For(partner.Version);
        return TypedResults.Ok(ToResponse(partner));
    }

    private static async Task<Results<Ok<PartnerResponse>, ProblemHttpResult>> Update(
        string id, UpdatePartnerRequest request, Caller caller, HttpContext httpContext, IPayoutStore store, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var name = request.Name is null ? null : errors.Required("name", request.Name, MaxNameLength);
        var email = errors.Email("email", request.Email, required: false);
        var rate = CommissionRate(errors, request.CommissionRateBps, required: false);
        var currency = string.IsNullOrEmpty(request.PayoutCurrency) ? null : errors.Currency("payoutCurrency", request.PayoutCurrency, required: false);
        var account = errors.Text("payoutAccountId", request.PayoutAccountId, MaxAccountIdLength);
        request.RejectNulls(errors, "name", "email", "commissionRateBps");
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var current = await store.GetPartnerAsync(caller.OrgId, id, cancellationToken);
        if (current is null)
        {
            return Problems.From(Failure.NotFound("Partner", id));
        }

        if (ETags.IfMatch(httpContext.Request) is { } accepted && !accepted.Contains(current.Version))
        {
            return Problems.From(new Failure(FailureCode.PreconditionFailed, $"If-Match does not match the partner's current version {current.Version}."));
        }

        var updated = current with
        {
            Name = name ?? current.Name,
            Email = string.IsNullOrEmpty(email) ? current.Email : email,
            CommissionRateBps = rate ?? current.CommissionRateBps,
            PayoutCurrency = request.PayoutCurrency is null && !request.IsNull("payoutCurrency") ? current.PayoutCurrency : currency,
            PayoutAccountId = account is null && !request.IsNull("payoutAccountId") ? current.PayoutAccountId : NullIfEmpty(account),
            UpdatedAt = timeProvider.GetUtcNow(),
            Version = current.Version + 1,
        };
        if (!await store.TryUpdatePartnerAsync(updated, cancellationToken))
        {
            return Problems.From(Failure.Conflict("The partner was changed concurrently; re-read it and retry."));
        }

        httpContext.Response.Headers.ETag = ETags.For(updated.Version);
        return TypedResults.Ok(ToResponse(updated));
    }

    private static async Task<Results<Ok<PartnerPayoutSummaryResponse>, ProblemHttpResult>> Summary(
        string id, Caller caller, PayoutService payouts, CancellationToken cancellationToken)
    {
        if (caller.PartnerScope is { } scope && scope != id)
        {
            return Problems.From(Failure.NotFound("Partner", id));
        }

        var summary = await payouts.GetPartnerSummaryAsync(caller.OrgId, id, cancellationToken);
        return summary.Succeeded ? TypedResults.Ok(summary.Value.ToResponse()) : Problems.From(summary.Failure!);
    }

    private static int? CommissionRate(RequestErrors errors, int? rate, bool required)
    {
        if (rate is null && required)
        {
            errors.Add("commissionRateBps", "Required.");
        }
        else if (rate is < 0 or > Partner.MaxCommissionRateBps)
        {
            errors.Add("commissionRateBps", $"Must be basis points from 0 to {Partner.MaxCommissionRateBps}.");
        }

        return rate;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static PartnerResponse ToResponse(Partner partner) => new(
        partner.Id,
        partner.Name,
        partner.Email,
        partner.CommissionRateBps,
        partner.PayoutCurrency?.Code,
        partner.PayoutAccountId,
        partner.CreatedAt.UtcDateTime,
        partner.UpdatedAt.UtcDateTime,
        partner.Version);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex PartnerId();
}
