using Microsoft.AspNetCore.Http.HttpResults;
using PartnerBase.Core;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Security;

namespace PartnerBase.Functions.Organizations;

public sealed record OrganizationResponse(string OrgId, IReadOnlyDictionary<string, long> MinimumPayouts, bool AutomaticPayments, IReadOnlyList<string> ApproverEmails);

/// <summary>Replaces each field given; absent fields stay as they are.</summary>
/// <summary>A merge patch: null minimumPayouts or approverEmails clears them.</summary>
public sealed class UpdateOrganizationRequest : PatchRequest
{
    public Dictionary<string, long>? MinimumPayouts { get; set => field = Set(value); }

    public bool? AutomaticPayments { get; set => field = Set(value); }

    public List<string>? ApproverEmails { get; set => field = Set(value); }
}

public static class OrganizationApi
{
    private const int MaxApproverEmails = 50;

    public static RouteGroupBuilder MapOrganizationApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/organization").WithTags("Organization").RequireAuthorization().WithStandardProblems();
        group.MapGet("", Get).WithName("GetOrganization").RequireAuthorization(Permissions.Read);
        group.MapPatch("", Update).WithName("UpdateOrganization").RequireAuthorization(Permissions.Administer)
            .ProducesProblem(400).ProducesProblem(409).ProducesProblem(412);
        return group;
    }

    private static async Task<Ok<OrganizationResponse>> Get(Caller caller, HttpContext httpContext, IPayoutStore store, CancellationToken cancellationToken)
    {
        var settings = await store.GetOrganizationAsync(caller.OrgId, cancellationToken) ?? OrganizationSettings.Default(caller.OrgId);
        httpContext.Response.Headers.ETag = ETags.For(settings.Version);
        return TypedResults.Ok(ToResponse(settings));
    }

    private static async Task<Results<Ok<OrganizationResponse>, ProblemHttpResult>> Update(
        UpdateOrganizationRequest request, Caller caller, HttpContext httpContext, IPayoutStore store, CancellationToken cancellationToken)
    {
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

        request.RejectNulls(errors, "automaticPayments");
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var current = await store.GetOrganizationAsync(caller.OrgId, cancellationToken) ?? OrganizationSettings.Default(caller.OrgId);
        if (ETags.IfMatch(httpContext.Request) is { } accepted && !accepted.Contains(current.Version))
        {
            return Problems.From(new Failure(FailureCode.PreconditionFailed, $"If-Match does not match the settings' current version {current.Version}."));
        }

        var updated = current with
        {
            MinimumPayouts = request.IsNull("minimumPayouts") ? new Dictionary<string, long>() : request.MinimumPayouts ?? current.MinimumPayouts,
            AutomaticPayments = request.AutomaticPayments ?? current.AutomaticPayments,
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
        new(settings.OrgId, settings.MinimumPayouts, settings.AutomaticPayments, settings.ApproverEmails);
}
