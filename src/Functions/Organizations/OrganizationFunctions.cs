using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Core;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Security;

namespace PartnerBase.Functions.Organizations;

public sealed record OrganizationResponse(
    string OrgId,
    IReadOnlyDictionary<string, long> MinimumPayouts,
    bool AutomaticPayments,
    IReadOnlyList<string> ApproverEmails,
    bool RequireVerifiedTaxForm);

/// <summary>A merge patch: absent fields stay as they are; null minimumPayouts or approverEmails clears them; a null switch is refused.</summary>
public sealed class UpdateOrganizationRequest : PatchRequest
{
    public Dictionary<string, long>? MinimumPayouts { get; set => field = Set(value); }

    public bool? AutomaticPayments { get; set => field = Set(value); }

    public List<string>? ApproverEmails { get; set => field = Set(value); }

    /// <summary>Hold payouts of partners without a verified tax form (CONTRACT §8); may not be null.</summary>
    public bool? RequireVerifiedTaxForm { get; set => field = Set(value); }
}

/// <summary>The organization settings of CONTRACT §5.</summary>
public sealed class OrganizationFunctions(IPayoutStore store)
{
    private const int MaxApproverEmails = 50;

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
        foreach (var (code, amount) in request.MinimumPayouts ?? [])
        {
            if (!Currency.TryParse(code, out _))
            {
                errors.Add("minimumPayouts", $"'{code}' is not an upper-case ISO 4217 currency code.");
            }

            if (amount is < 0 or > Money.MaxPayoutAmount)
            {
                errors.Add("minimumPayouts", $"The minimum for {code} must be from 0 to {Money.MaxPayoutAmount} minor units.");
            }
        }

        if (request.ApproverEmails is { } emails)
        {
            if (emails.Count > MaxApproverEmails)
            {
                errors.Add("approverEmails", $"At most {MaxApproverEmails} addresses.");
            }

            foreach (var email in emails)
            {
                errors.Email("approverEmails", email, required: true);
            }
        }

        request.RejectNulls(errors, "automaticPayments", "requireVerifiedTaxForm");
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
            MinimumPayouts = request.IsNull("minimumPayouts") ? new Dictionary<string, long>() : request.MinimumPayouts ?? current.MinimumPayouts,
            AutomaticPayments = request.AutomaticPayments ?? current.AutomaticPayments,
            RequireVerifiedTaxForm = request.RequireVerifiedTaxForm ?? current.RequireVerifiedTaxForm,
            ApproverEmails = request.IsNull("approverEmails") ? [] : request.ApproverEmails?.Distinct(StringComparer.OrdinalIgnoreCase).ToList() ?? current.ApproverEmails,
            Version = current.Version + 1,
        };
        if (!await store.TrySaveOrganizationAsync(updated, cancellationToken))
        {
            return Problems.From(Failure.Conflict("The settings were changed concurrently; re-read them and retry."));
        }

        httpContext.Response.Headers.ETag = ETags.For(updated.Version);
        return TypedResults.Ok(ToResponse(updated));
    }

    private static OrganizationResponse ToResponse(OrganizationSettings settings) =>
        new(settings.OrgId, settings.MinimumPayouts, settings.AutomaticPayments, settings.ApproverEmails, settings.RequireVerifiedTaxForm);
}
