using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PartnerBase.Core;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Security;

using PayoutResult = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Ok<PartnerBase.Functions.Payouts.PayoutResponse>,
    Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>;

namespace PartnerBase.Functions.Payouts;

public static class PayoutsApi
{
    public static RouteGroupBuilder MapPayoutsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/payouts").WithTags("Payouts").RequireAuthorization().WithStandardProblems();

        group.MapGet("", List).WithName("ListPayouts").RequireAuthorization(Permissions.ReadOwnPayouts).ProducesProblem(400);
        group.MapPost("", Create).WithName("CreatePayout").RequireAuthorization(Permissions.ManagePayouts)
            .WithMetadata(IdempotentEndpoint.Instance).ProducesProblem(400).ProducesProblem(409).ProducesProblem(413).ProducesProblem(422);
        group.MapGet("/stats", Stats).WithName("GetPayoutStats").RequireAuthorization(Permissions.Read).ProducesProblem(400);
        group.MapGet("/export", PayoutExport.Export).WithName("ExportPayouts").RequireAuthorization(Permissions.Read)
            .Produces<string>(StatusCodes.Status200OK, "text/csv").ProducesProblem(400);
        group.MapPost("/bulk-approve", BulkApprove).WithName("BulkApprovePayouts").RequireAuthorization(Permissions.Approve)
            .WithMetadata(IdempotentEndpoint.Instance).ProducesProblem(400).ProducesProblem(409).ProducesProblem(422);
        group.MapGet("/{id}", Get).WithName("GetPayout").RequireAuthorization(Permissions.ReadOwnPayouts).ProducesProblem(404);
        group.MapPatch("/{id}", Update).WithName("UpdatePayout").RequireAuthorization(Permissions.ManagePayouts).WithChangeProblems();
        group.MapDelete("/{id}", Delete).WithName("DeletePayout").RequireAuthorization(Permissions.ManagePayouts).WithChangeProblems();
        group.MapPost("/{id}/approve", Approve).WithName("ApprovePayout").RequireAuthorization(Permissions.Approve).WithChangeProblems();
        group.MapPost("/{id}/reject", Reject).WithName("RejectPayout").RequireAuthorization(Permissions.Approve).WithChangeProblems();
        group.MapPost("/{id}/mark-processing", MarkProcessing).WithName("MarkPayoutProcessing").RequireAuthorization(Permissions.Pay).WithChangeProblems();
        group.MapPost("/{id}/mark-paid", MarkPaid).WithName("MarkPayoutPaid").RequireAuthorization(Permissions.Pay).WithChangeProblems();
        group.MapPost("/{id}/mark-failed", MarkFailed).WithName("MarkPayoutFailed").RequireAuthorization(Permissions.Pay).WithChangeProblems();

        routes.MapGet("/api/audit-log", AuditLog).WithName("ListAuditLog").WithTags("Audit").RequireAuthorization(Permissions.Read)
            .WithStandardProblems().ProducesProblem(400);
        return group;
    }

    private static async Task<Results<Ok<PageResponse<PayoutResponse>>, ProblemHttpResult>> List(
        Caller caller,
        string? status,
        string? partnerId,
        string? period,
        string? expand,
        string? limit,
        string? cursor,
        IPayoutStore store,
        CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var filter = new PayoutQuery(status, partnerId, period).ToFilter(errors, caller.PartnerScope);
        var page = errors.Page(limit, cursor);
        var expandPartner = false;
        foreach (var name in (expand ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (name == "partner")
            {
                expandPartner = true;
            }
            else
            {
                errors.Add("expand", $"'{name}' cannot be expanded; use 'partner'.");
            }
        }

        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        if (filter is null)
        {
            return TypedResults.Ok(new PageResponse<PayoutResponse>([], null));
        }

        var result = await store.ListPayoutsAsync(caller.OrgId, filter, page!, cancellationToken);
        var partners = expandPartner
            ? (await store.GetPartnersAsync(caller.OrgId, result.Items.Select(p => p.PartnerId).ToHashSet(), cancellationToken)).ToDictionary(p => p.Id)
            : null;
        var data = result.Items.Select(payout => payout.ToResponse(partners?.GetValueOrDefault(payout.PartnerId))).ToList();
        return TypedResults.Ok(new PageResponse<PayoutResponse>(data, Cursor.Encode(result.Next)));
    }

    private static async Task<Results<Created<PayoutResponse>, ProblemHttpResult>> Create(
        Caller caller,
        CreatePayoutRequest request,
        [FromHeader(Name = IdempotencyMiddleware.HeaderName)] string? idempotencyKey,
        HttpContext httpContext,
        PayoutService payouts,
        CancellationToken cancellationToken)
    {
        var command = request.ToCommand(caller.OrgId);
        if (!command.Succeeded)
        {
            return Problems.From(command.Failure!);
        }

        var created = await payouts.CreateAsync(command.Value, caller.Actor, string.IsNullOrEmpty(idempotencyKey) ? null : idempotencyKey, cancellationToken);
        if (!created.Succeeded)
        {
            return Problems.From(created.Failure!);
        }

        httpContext.Response.Headers.ETag = ETags.For(created.Value.Version);
        return TypedResults.Created($"/api/payouts/{Uri.EscapeDataString(created.Value.Id)}", created.Value.ToResponse());
    }

    private static async Task<PayoutResult> Get(string id, Caller caller, HttpContext httpContext, PayoutService payouts, CancellationToken cancellationToken) =>
        ToResult(httpContext, await payouts.GetAsync(caller.OrgId, id, caller.PartnerScope, cancellationToken));

    private static async Task<PayoutResult> Update(string id, UpdatePayoutRequest request, Caller caller, HttpContext httpContext, PayoutService payouts, CancellationToken cancellationToken)
    {
        var changes = request.ToChanges();
        return changes.Succeeded
            ? await ChangeAsync(id, caller, httpContext, payouts, (payout, now) => payout.Update(changes.Value, caller.Actor, now), cancellationToken)
            : Problems.From(changes.Failure!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, Caller caller, HttpContext httpContext, PayoutService payouts, CancellationToken cancellationToken)
    {
        var deleted = await payouts.ChangeAsync(caller.OrgId, id, ETags.IfMatch(httpContext.Request), (payout, now) => payout.Delete(caller.Actor, now), cancellationToken);
        return deleted.Succeeded ? TypedResults.NoContent() : Problems.From(deleted.Failure!);
    }

    private static Task<PayoutResult> Approve(string id, Caller caller, HttpContext httpContext, PayoutService payouts, CancellationToken cancellationToken) =>
        ChangeAsync(id, caller, httpContext, payouts, (payout, now) => payout.Approve(caller.Actor, now), cancellationToken);

    private static async Task<PayoutResult> Reject(string id, RejectPayoutRequest? request, Caller caller, HttpContext httpContext, PayoutService payouts, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var reason = errors.Text("reason", request?.Reason, 1000);
        return errors.Any
            ? Problems.From(errors.ToFailure())
            : await ChangeAsync(id, caller, httpContext, payouts, (payout, now) => payout.Reject(caller.Actor, reason, now), cancellationToken);
    }

    private static Task<PayoutResult> MarkProcessing(string id, Caller caller, HttpContext httpContext, PayoutService payouts, CancellationToken cancellationToken) =>
        ChangeAsync(id, caller, httpContext, payouts, (payout, now) => payout.MarkProcessing(caller.Actor, now), cancellationToken);

    private static async Task<PayoutResult> MarkPaid(string id, MarkPaidRequest? request, Caller caller, HttpContext httpContext, PayoutService payouts, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var reference = errors.Text("paymentReference", request?.PaymentReference, 255);
        return errors.Any
            ? Problems.From(errors.ToFailure())
            : await ChangeAsync(id, caller, httpContext, payouts, (payout, now) => payout.MarkPaid(caller.Actor, reference, now), cancellationToken);
    }

    private static async Task<PayoutResult> MarkFailed(string id, MarkFailedRequest? request, Caller caller, HttpContext httpContext, PayoutService payouts, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var code = errors.Text("failureCode", request?.FailureCode, 100);
        var message = errors.Text("failureMessage", request?.FailureMessage, 1000);
        return errors.Any
            ? Problems.From(errors.ToFailure())
            : await ChangeAsync(id, caller, httpContext, payouts, (payout, now) => payout.MarkFailed(caller.Actor, code, message, now), cancellationToken);
    }

    private static async Task<Results<Ok<BulkApproveResponse>, ProblemHttpResult>> BulkApprove(
        BulkApproveRequest request,
        Caller caller,
        PayoutService payouts,
        CancellationToken cancellationToken)
    {
        if (request.PayoutIds is not { Count: > 0 and <= PayoutService.MaxBulkApprove } ids || ids.Any(string.IsNullOrEmpty))
        {
            return Problems.Validation("payoutIds", $"Give 1 to {PayoutService.MaxBulkApprove} payout ids.");
        }

        var results = await payouts.BulkApproveAsync(caller.OrgId, ids, caller.Actor, cancellationToken);
        return TypedResults.Ok(new BulkApproveResponse(
            results.Where(r => r.Failure is null).Select(r => r.PayoutId).ToList(),
            results.Where(r => r.Failure is not null).Select(r => new BulkApproveSkip(r.PayoutId, Problems.CodeOf(r.Failure!.Code), r.Failure.Detail)).ToList()));
    }

    private static async Task<Results<Ok<StatsResponse>, ProblemHttpResult>> Stats(
        Caller caller,
        string? period,
        string? partnerId,
        PayoutService payouts,
        CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var filter = new PayoutQuery(null, partnerId, period).ToFilter(errors, partnerScope: null);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var stats = await payouts.GetStatsAsync(caller.OrgId, filter!, cancellationToken);
        return TypedResults.Ok(new StatsResponse(stats.Select(s => s.ToResponse()).ToList()));
    }

    private static async Task<Results<Ok<PageResponse<AuditEntryResponse>>, ProblemHttpResult>> AuditLog(
        Caller caller,
        string? payoutId,
        string? limit,
        string? cursor,
        IPayoutStore store,
        CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var page = errors.Page(limit, cursor);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var result = await store.ListEventsAsync(caller.OrgId, string.IsNullOrEmpty(payoutId) ? null : payoutId, page!, cancellationToken);
        return TypedResults.Ok(new PageResponse<AuditEntryResponse>(result.Items.Select(e => e.ToResponse()).ToList(), Cursor.Encode(result.Next)));
    }

    private static async Task<PayoutResult> ChangeAsync(
        string id,
        Caller caller,
        HttpContext httpContext,
        PayoutService payouts,
        Func<Payout, DateTimeOffset, Outcome<PayoutEvent>> decide,
        CancellationToken cancellationToken) =>
        ToResult(httpContext, await payouts.ChangeAsync(caller.OrgId, id, ETags.IfMatch(httpContext.Request), decide, cancellationToken));

    private static PayoutResult ToResult(HttpContext httpContext, Outcome<Payout> outcome)
    {
        if (!outcome.Succeeded)
        {
            return Problems.From(outcome.Failure!);
        }

        httpContext.Response.Headers.ETag = ETags.For(outcome.Value.Version);
        return TypedResults.Ok(outcome.Value.ToResponse());
    }

    private static RouteHandlerBuilder WithChangeProblems(this RouteHandlerBuilder builder) =>
        builder.ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(412);
}
