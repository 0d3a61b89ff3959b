using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PartnerBase.Core;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Security;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Security;

namespace PartnerBase.Functions.Organizations;

public sealed record OrganizationResponse(
    string OrgId,
    IReadOnlyDictionary<string, long> MinimumPayouts,
    bool AutomaticPayments,
    IReadOnlyList<string> ApproverEmails,
    bool RequireVerifiedTaxForm,
    ApprovalPolicyResponse ApprovalPolicy,
    int HoldDays,
    IReadOnlyList<string> FinanceEmails);

/// <summary>CONTRACT §8: currency → amount in minor units.</summary>
public sealed record ApprovalPolicyResponse(IReadOnlyDictionary<string, long> DualApprovalAtOrAbove, IReadOnlyDictionary<string, long> AutoApproveBelow);

/// <summary>A merge patch of the approval policy: a map set to null is emptied, a currency set to null is removed, others are set.</summary>
public sealed class UpdateApprovalPolicyRequest : PatchRequest
{
    public Dictionary<string, long?>? DualApprovalAtOrAbove { get; set => field = Set(value); }

    public Dictionary<string, long?>? AutoApproveBelow { get; set => field = Set(value); }
}

/// <summary>
/// A merge patch (RFC 7396): absent fields stay as they are; a currency map is merged (a currency set to null is
/// removed, the map set to null is emptied); null approverEmails or financeEmails clears them, null approvalPolicy resets it; a null
/// switch or holdDays is refused.
/// </summary>
public sealed class UpdateOrganizationRequest : PatchRequest
{
    public Dictionary<string, long?>? MinimumPayouts { get; set => field = Set(value); }

    [DisallowNull]
    public bool? AutomaticPayments { get; set => field = Set(value); }

    public List<string>? ApproverEmails { get; set => field = Set(value); }

    /// <summary>Who is emailed a reconciliation run's issues (CONTRACT §10); null clears them.</summary>
    public List<string>? FinanceEmails { get; set => field = Set(value); }

    /// <summary>Hold payouts of partners without a verified tax form (CONTRACT §8).</summary>
    [DisallowNull]
    public bool? RequireVerifiedTaxForm { get; set => field = Set(value); }

    /// <summary>Dual approval and automatic approval thresholds (CONTRACT §8).</summary>
    public UpdateApprovalPolicyRequest? ApprovalPolicy { get; set => field = Set(value); }

    /// <summary>Days, 0 to 365, after its deal closed before a won attribution is settled (CONTRACT §8).</summary>
    [DisallowNull]
    [Range(0, OrganizationSettings.MaxHoldDays)]
    public int? HoldDays { get; set => field = Set(value); }
}

/// <summary>The organization settings of CONTRACT §5.</summary>
public sealed class OrganizationFunctions(IPayoutStore store)
{
    private const int MaxEmails = 50;

    [Function(nameof(GetOrganization))]
    [RequirePermission(Permissions.Read)]
    [Tags("Organization")]
    [EndpointSummary("Get the organization's settings")]
    public async Task<Ok<OrganizationResponse>> GetOrganization(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "organization")] HttpRequest request, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var httpContext = request.HttpContext;
        var settings = await store.GetOrganizationAsync(caller.OrgId, cancellationToken) ?? OrganizationSettings.Default(caller.OrgId);
        httpContext.Response.Headers.ETag = ETags.For(settings.Version);
        return TypedResults.Ok(ToResponse(settings));
    }

    [Function(nameof(UpdateOrganization))]
    [RequirePermission(Permissions.Administer)]
    [Tags("Organization")]
    [EndpointSummary("Update the organization's settings (JSON merge patch)")]
    [Consumes(typeof(UpdateOrganizationRequest), "application/json", "application/merge-patch+json")]
    [ProblemResponses(400, 409, 412, 413, 415)]
    public async Task<Results<Ok<OrganizationResponse>, ProblemHttpResult>> UpdateOrganization(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "organization")] HttpRequest httpRequest, CancellationToken cancellationToken)
    {
        var caller = httpRequest.Caller();
        var request = await httpRequest.ReadAsync<UpdateOrganizationRequest>(cancellationToken);
        var httpContext = httpRequest.HttpContext;
        var errors = new RequestErrors();
        ValidateAmounts(errors, "minimumPayouts", request.MinimumPayouts);
        ValidateAmounts(errors, "approvalPolicy.dualApprovalAtOrAbove", request.ApprovalPolicy?.DualApprovalAtOrAbove);
        ValidateAmounts(errors, "approvalPolicy.autoApproveBelow", request.ApprovalPolicy?.AutoApproveBelow);
        if (request.HoldDays is < 0 or > OrganizationSettings.MaxHoldDays)
        {
            errors.Add("holdDays", $"Give 0 to {OrganizationSettings.MaxHoldDays} days.");
        }

        ValidateEmails(errors, "approverEmails", request.ApproverEmails);
        ValidateEmails(errors, "financeEmails", request.FinanceEmails);
        request.RejectNulls(errors);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var current = await store.GetOrganizationAsync(caller.OrgId, cancellationToken) ?? OrganizationSettings.Default(caller.OrgId);
        if (ETags.IfMatch(httpRequest) is { } accepted && !accepted.Contains(current.Version))
        {
            return Problems.From(new Failure(FailureCode.PreconditionFailed, $"If-Match does not match the settings' current version {current.Version}."));
        }

        var updated = current with
        {
            MinimumPayouts = Merge(current.MinimumPayouts, request.MinimumPayouts, request.IsNull("minimumPayouts")),
            AutomaticPayments = request.AutomaticPayments ?? current.AutomaticPayments,
            RequireVerifiedTaxForm = request.RequireVerifiedTaxForm ?? current.RequireVerifiedTaxForm,
            ApprovalPolicy = request.IsNull("approvalPolicy") ? ApprovalPolicy.Default : Merge(current.ApprovalPolicy, request.ApprovalPolicy),
            HoldDays = request.HoldDays ?? current.HoldDays,
            ApproverEmails = request.IsNull("approverEmails") ? [] : request.ApproverEmails?.Distinct(StringComparer.OrdinalIgnoreCase).ToList() ?? current.ApproverEmails,
            FinanceEmails = request.IsNull("financeEmails") ? [] : request.FinanceEmails?.Distinct(StringComparer.OrdinalIgnoreCase).ToList() ?? current.FinanceEmails,
            Version = current.Version + 1,
        };
        if (!await store.TrySaveOrganizationAsync(updated, cancellationToken))
        {
            return Problems.From(Failure.Conflict("The settings were changed concurrently; re-read them and retry."));
        }

        httpContext.Response.Headers.ETag = ETags.For(updated.Version);
        return TypedResults.Ok(ToResponse(updated));
    }

    private static OrganizationResponse ToResponse(OrganizationSettings settings) => new(
        settings.OrgId,
        settings.MinimumPayouts,
        settings.AutomaticPayments,
        settings.ApproverEmails,
        settings.RequireVerifiedTaxForm,
        new ApprovalPolicyResponse(settings.ApprovalPolicy.DualApprovalAtOrAbove, settings.ApprovalPolicy.AutoApproveBelow),
        settings.HoldDays,
        settings.FinanceEmails);

    private static void ValidateEmails(RequestErrors errors, string field, List<string>? emails)
    {
        if (emails is null)
        {
            return;
        }

        if (emails.Count > MaxEmails)
        {
            errors.Add(field, $"At most {MaxEmails} addresses.");
        }

        foreach (var email in emails)
        {
            errors.Email(field, email, required: true);
        }
    }

    /// <summary>A currency → minor units map: codes we know, amounts from 0 to the payout limit; null removes a currency.</summary>
    private static void ValidateAmounts(RequestErrors errors, string field, Dictionary<string, long?>? amounts)
    {
        foreach (var (code, amount) in amounts ?? [])
        {
            if (!Currency.TryParse(code, out _))
            {
                errors.Add(field, $"'{code}' is not an upper-case ISO 4217 currency code.");
            }

            if (amount is < 0 or > Money.MaxPayoutAmount)
            {
                errors.Add(field, $"The amount for {code} must be from 0 to {Money.MaxPayoutAmount} minor units.");
            }
        }
    }

    private static ApprovalPolicy Merge(ApprovalPolicy current, UpdateApprovalPolicyRequest? patch) => patch is null
        ? current
        : new ApprovalPolicy(
            Merge(current.DualApprovalAtOrAbove, patch.DualApprovalAtOrAbove, patch.IsNull("dualApprovalAtOrAbove")),
            Merge(current.AutoApproveBelow, patch.AutoApproveBelow, patch.IsNull("autoApproveBelow")));

    /// <summary>RFC 7396 on a currency map: the patch's currencies are set, its nulls removed, the rest kept; a null map empties it.</summary>
    private static IReadOnlyDictionary<string, long> Merge(IReadOnlyDictionary<string, long> current, Dictionary<string, long?>? patch, bool cleared)
    {
        if (cleared)
        {
            return new Dictionary<string, long>();
        }

        if (patch is null)
        {
            return current;
        }

        var merged = new Dictionary<string, long>(current, StringComparer.Ordinal);
        foreach (var (code, amount) in patch)
        {
            if (amount is { } value)
            {
                merged[code] = value;
            }
            else
            {
                merged.Remove(code);
            }
        }

        return merged;
    }
}
