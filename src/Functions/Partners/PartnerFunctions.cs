using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PartnerBase.Core;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Security;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Payouts;
using PartnerBase.Functions.Security;

namespace PartnerBase.Functions.Partners;

public sealed record CreatePartnerRequest(
    string? Id,
    [property: Required] string? Name,
    [property: Required] string? Email,
    [property: Required] int? CommissionRateBps,
    string? PayoutCurrency,
    string? PayoutAccountId,
    TaxFormStatus? TaxFormStatus)
{
    [ResponseOnly]
    public JsonElement Payable { get; init; }

    [ResponseOnly]
    public JsonElement PayableBlockers { get; init; }
}

/// <summary>A partial update; an empty string clears <c>payoutCurrency</c> or <c>payoutAccountId</c>; <c>taxFormStatus</c> may not be null.</summary>
public sealed class UpdatePartnerRequest : PatchRequest
{
    [DisallowNull]
    public string? Name { get; set => field = Set(value); }

    [DisallowNull]
    public string? Email { get; set => field = Set(value); }

    [DisallowNull]
    public int? CommissionRateBps { get; set => field = Set(value); }

    /// <summary>Null or "" clears it.</summary>
    public string? PayoutCurrency { get; set => field = Set(value); }

    /// <summary>Null or "" clears it (automatic payments then leave the partner's payouts to finance).</summary>
    public string? PayoutAccountId { get; set => field = Set(value); }

    [DisallowNull]
    public TaxFormStatus? TaxFormStatus { get; set => field = Set(value); }

    [ResponseOnly]
    public JsonElement Payable { get; set; }

    [ResponseOnly]
    public JsonElement PayableBlockers { get; set; }
}

public sealed record PartnerResponse(
    string Id,
    string Name,
    string Email,
    int CommissionRateBps,
    string? PayoutCurrency,
    string? PayoutAccountId,
    TaxFormStatus TaxFormStatus,
    bool Payable,
    IReadOnlyList<PayableBlocker> PayableBlockers,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    long Version);

/// <summary>The partner operations of CONTRACT §5, one HTTP function each.</summary>
public sealed partial class PartnerFunctions(IPayoutStore store, PayoutService payouts, TimeProvider timeProvider)
{
    private const int MaxNameLength = 200;
    private const int MaxAccountIdLength = 255;

    [Function(nameof(ListPartners))]
    [RequirePermission(Permissions.Read)]
    [Tags("Partners")]
    [EndpointSummary("List partners, newest first")]
    [QueryParameter("limit", "Page size, 1 to 100 (default 25).")]
    [QueryParameter("cursor", "The nextCursor of the previous page.")]
    [ProblemResponses(400)]
    public async Task<Results<Ok<PageResponse<PartnerResponse>>, ProblemHttpResult>> ListPartners(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "partners")] HttpRequest request, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var errors = new RequestErrors();
        var page = errors.Page(request.Query["limit"], request.Query["cursor"]);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var result = await store.ListPartnersAsync(caller.OrgId, page!, cancellationToken);
        var settings = await SettingsAsync(caller.OrgId, cancellationToken);
        return TypedResults.Ok(new PageResponse<PartnerResponse>(result.Items.Select(p => ToResponse(p, settings)).ToList(), Cursor.Encode(result.Next)));
    }

    [Function(nameof(CreatePartner))]
    [RequirePermission(Permissions.ManagePartners)]
    [Tags("Partners")]
    [EndpointSummary("Create a partner")]
    [Consumes(typeof(CreatePartnerRequest), "application/json")]
    [ProblemResponses(400, 409, 413, 415)]
    public async Task<Results<Created<PartnerResponse>, ProblemHttpResult>> CreatePartner(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "partners")] HttpRequest httpRequest, CancellationToken cancellationToken)
    {
        var caller = httpRequest.Caller();
        var request = await httpRequest.ReadAsync<CreatePartnerRequest>(cancellationToken);
        var httpContext = httpRequest.HttpContext;
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
        RejectReadOnly(errors, request.Payable, request.PayableBlockers);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var now = timeProvider.GetUtcNow();
        var partner = new Partner(id, caller.OrgId, name!, email!, rate!.Value, currency, NullIfEmpty(account), now, now, 1, request.TaxFormStatus ?? TaxFormStatus.Missing);
        if (!await store.TryCreatePartnerAsync(partner, cancellationToken))
        {
            return Problems.From(Failure.Conflict($"A partner with id '{id}' already exists."));
        }

        // An organization with partners takes part in the monthly commission run.
        await store.RegisterOrganizationAsync(caller.OrgId, cancellationToken);

        httpContext.Response.Headers.ETag = ETags.For(partner.Version);
        return TypedResults.Created($"/api/partners/{Uri.EscapeDataString(id)}", ToResponse(partner, await SettingsAsync(caller.OrgId, cancellationToken)));
    }

    [Function(nameof(GetPartner))]
    [RequirePermission(Permissions.Read)]
    [Tags("Partners")]
    [EndpointSummary("Get a partner")]
    [ProblemResponses(404)]
    public async Task<Results<Ok<PartnerResponse>, ProblemHttpResult>> GetPartner(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "partners/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var httpContext = request.HttpContext;
        var partner = await store.GetPartnerAsync(caller.OrgId, id, cancellationToken);
        if (partner is null)
        {
            return Problems.From(Failure.NotFound("Partner", id));
        }

        httpContext.Response.Headers.ETag = ETags.For(partner.Version);
        return TypedResults.Ok(ToResponse(partner, await SettingsAsync(caller.OrgId, cancellationToken)));
    }

    [Function(nameof(UpdatePartner))]
    [RequirePermission(Permissions.ManagePartners)]
    [Tags("Partners")]
    [EndpointSummary("Update a partner (JSON merge patch)")]
    [Consumes(typeof(UpdatePartnerRequest), "application/json", "application/merge-patch+json")]
    [ProblemResponses(400, 404, 409, 412, 413, 415)]
    public async Task<Results<Ok<PartnerResponse>, ProblemHttpResult>> UpdatePartner(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "partners/{id}")] HttpRequest httpRequest, string id, CancellationToken cancellationToken)
    {
        var caller = httpRequest.Caller();
        var request = await httpRequest.ReadAsync<UpdatePartnerRequest>(cancellationToken);
        var httpContext = httpRequest.HttpContext;
        var errors = new RequestErrors();
        var name = request.Name is null ? null : errors.Required("name", request.Name, MaxNameLength);
        var email = errors.Email("email", request.Email, required: false);
        var rate = CommissionRate(errors, request.CommissionRateBps, required: false);
        var currency = string.IsNullOrEmpty(request.PayoutCurrency) ? null : errors.Currency("payoutCurrency", request.PayoutCurrency, required: false);
        var account = errors.Text("payoutAccountId", request.PayoutAccountId, MaxAccountIdLength);
        request.RejectNulls(errors);
        RejectReadOnly(errors, request.Payable, request.PayableBlockers);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var current = await store.GetPartnerAsync(caller.OrgId, id, cancellationToken);
        if (current is null)
        {
            return Problems.From(Failure.NotFound("Partner", id));
        }

        if (ETags.IfMatch(httpRequest) is { } accepted && !accepted.Contains(current.Version))
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
            TaxFormStatus = request.TaxFormStatus ?? current.TaxFormStatus,
            UpdatedAt = timeProvider.GetUtcNow(),
            Version = current.Version + 1,
        };
        if (!await store.TryUpdatePartnerAsync(updated, cancellationToken))
        {
            return Problems.From(Failure.Conflict("The partner was changed concurrently; re-read it and retry."));
        }

        httpContext.Response.Headers.ETag = ETags.For(updated.Version);
        return TypedResults.Ok(ToResponse(updated, await SettingsAsync(caller.OrgId, cancellationToken)));
    }

    [Function(nameof(GetPartnerPayoutSummary))]
    [RequirePermission(Permissions.ReadOwnPayouts)]
    [Tags("Partners")]
    [EndpointSummary("What a partner has been paid and is owed, by currency")]
    [ProblemResponses(404)]
    public async Task<Results<Ok<PartnerPayoutSummaryResponse>, ProblemHttpResult>> GetPartnerPayoutSummary(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "partners/{partnerId}/payout-summary")] HttpRequest request, string partnerId, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        if (caller.PartnerScope is { } scope && scope != partnerId)
        {
            return Problems.From(Failure.NotFound("Partner", partnerId));
        }

        var summary = await payouts.GetPartnerSummaryAsync(caller.OrgId, partnerId, cancellationToken);
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

    /// <summary><c>payable</c> and <c>payableBlockers</c> are computed on read; a request that sets them is refused, not ignored.</summary>
    private static void RejectReadOnly(RequestErrors errors, JsonElement payable, JsonElement payableBlockers)
    {
        foreach (var (field, value) in new[] { ("payable", payable), ("payableBlockers", payableBlockers) })
        {
            // Undefined: the body left the field out (a JSON null is a Null element, and refused like any value).
            if (value.ValueKind != JsonValueKind.Undefined)
            {
                errors.Add(field, "Read-only: computed from the partner and the organization's settings.");
            }
        }
    }

    private async Task<OrganizationSettings> SettingsAsync(string orgId, CancellationToken cancellationToken) =>
        await store.GetOrganizationAsync(orgId, cancellationToken) ?? OrganizationSettings.Default(orgId);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static PartnerResponse ToResponse(Partner partner, OrganizationSettings settings)
    {
        var blockers = PayableGate.Blockers(partner, settings);
        return new(
            partner.Id,
            partner.Name,
            partner.Email,
            partner.CommissionRateBps,
            partner.PayoutCurrency?.Code,
            partner.PayoutAccountId,
            partner.TaxFormStatus,
            blockers.Count == 0,
            blockers,
            partner.CreatedAt.UtcDateTime,
            partner.UpdatedAt.UtcDateTime,
            partner.Version);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex PartnerId();
}
