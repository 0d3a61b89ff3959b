using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using PartnerBase.Core;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Security;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Http;
using PartnerBase.Functions.Security;

using PayoutResult = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Ok<PartnerBase.Functions.Payouts.PayoutResponse>,
    Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>;

namespace PartnerBase.Functions.Payouts;

/// <summary>The payout operations of CONTRACT §3–§4, one HTTP function each.</summary>
public sealed class PayoutFunctions(PayoutService payouts, IPayoutStore store, TimeProvider timeProvider)
{
    private const string StatusQuery = "Comma-separated statuses (pending_approval, approved, processing, paid, failed, rejected).";
    private const string PartnerQuery = "Only this partner's payouts.";
    private const string PeriodQuery = "Only this period, matched exactly (YYYY-MM or YYYY-Qn).";
    private const string LimitQuery = "Page size, 1 to 100 (default 25).";
    private const string CursorQuery = "The nextCursor of the previous page.";

    [Function(nameof(ListPayouts))]
    [RequirePermission(Permissions.ReadOwnPayouts)]
    [Tags("Payouts")]
    [EndpointSummary("List payouts, newest first")]
    [QueryParameter("status", StatusQuery)]
    [QueryParameter("partnerId", PartnerQuery)]
    [QueryParameter("period", PeriodQuery)]
    [QueryParameter("expand", "partner: add each payout's partner (id, name, email).")]
    [QueryParameter("limit", LimitQuery)]
    [QueryParameter("cursor", CursorQuery)]
    [ProblemResponses(400)]
    public async Task<Results<Ok<PageResponse<PayoutResponse>>, ProblemHttpResult>> ListPayouts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "payouts")] HttpRequest request, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var query = request.Query;
        var errors = new RequestErrors();
        var filter = new PayoutQuery(query["status"], query["partnerId"], query["period"]).ToFilter(errors, caller.PartnerScope);
        var page = errors.Page(query["limit"], query["cursor"]);
        var expandPartner = false;
        foreach (var name in query["expand"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
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

    [Function(nameof(CreatePayout))]
    [RequirePermission(Permissions.ManagePayouts)]
    [Idempotent]
    [Tags("Payouts")]
    [EndpointSummary("Create a payout (pending approval)")]
    [Consumes(typeof(CreatePayoutRequest), "application/json")]
    [ProblemResponses(400, 409, 413, 415, 422)]
    public async Task<Results<Created<PayoutResponse>, ProblemHttpResult>> CreatePayout(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "payouts")] HttpRequest request, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var body = await request.ReadAsync<CreatePayoutRequest>(cancellationToken);
        var idempotencyKey = request.Headers[IdempotencyMiddleware.HeaderName].ToString();
        var httpContext = request.HttpContext;
        var command = body.ToCommand(caller.OrgId);
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

    [Function(nameof(GetPayout))]
    [RequirePermission(Permissions.ReadOwnPayouts)]
    [Tags("Payouts")]
    [EndpointSummary("Get a payout")]
    [ProblemResponses(404)]
    public async Task<PayoutResult> GetPayout(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "payouts/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        return ToResult(request, await payouts.GetAsync(caller.OrgId, id, caller.PartnerScope, cancellationToken));
    }

    [Function(nameof(UpdatePayout))]
    [RequirePermission(Permissions.ManagePayouts)]
    [Tags("Payouts")]
    [EndpointSummary("Update a pending payout (JSON merge patch)")]
    [Consumes(typeof(UpdatePayoutRequest), "application/json", "application/merge-patch+json")]
    [ProblemResponses(400, 404, 409, 412, 413, 415)]
    public async Task<PayoutResult> UpdatePayout(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "payouts/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var changes = (await request.ReadAsync<UpdatePayoutRequest>(cancellationToken)).ToChanges();
        return changes.Succeeded
            ? await ChangeAsync(request, id, (payout, now) => payout.Update(changes.Value, caller.Actor, now), cancellationToken)
            : Problems.From(changes.Failure!);
    }

    [Function(nameof(DeletePayout))]
    [RequirePermission(Permissions.ManagePayouts)]
    [Tags("Payouts")]
    [EndpointSummary("Delete a pending payout (its audit trail stays)")]
    [ProblemResponses(404, 409, 412)]
    public async Task<Results<NoContent, ProblemHttpResult>> DeletePayout(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "payouts/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var deleted = await payouts.ChangeAsync(caller.OrgId, id, ETags.IfMatch(request), (payout, now) => payout.Delete(caller.Actor, now), cancellationToken);
        return deleted.Succeeded ? TypedResults.NoContent() : Problems.From(deleted.Failure!);
    }

    [Function(nameof(ApprovePayout))]
    [RequirePermission(Permissions.Approve)]
    [Tags("Payouts")]
    [EndpointSummary("Approve a pending payout")]
    [EndpointDescription(
        "A payout at or above its currency's approvalPolicy.dualApprovalAtOrAbove needs two different approvers: the first approval "
        + "answers 200 with the payout still pending_approval and the approval in `approvals`. 403 separation_of_duties for its creator "
        + "or an editor; 409 duplicate_approval when the same user approves twice.")]
    [ProblemResponses(404, 409, 412)]
    public Task<PayoutResult> ApprovePayout(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "payouts/{id}/approve")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        return ChangeAsync(request, (ifMatch, token) => payouts.ApproveAsync(caller.OrgId, id, ifMatch, caller.Actor, token), cancellationToken);
    }

    [Function(nameof(RejectPayout))]
    [RequirePermission(Permissions.Approve)]
    [Tags("Payouts")]
    [EndpointSummary("Reject a pending payout, with an optional reason")]
    [Consumes(typeof(RejectPayoutRequest), "application/json", IsOptional = true)]
    [ProblemResponses(400, 404, 409, 412, 413, 415)]
    public async Task<PayoutResult> RejectPayout(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "payouts/{id}/reject")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var body = await request.ReadOptionalAsync<RejectPayoutRequest>(cancellationToken);
        var errors = new RequestErrors();
        var reason = errors.Text("reason", body?.Reason, 1000);
        return errors.Any
            ? Problems.From(errors.ToFailure())
            : await ChangeAsync(request, id, (payout, now) => payout.Reject(caller.Actor, reason, now), cancellationToken);
    }

    [Function(nameof(MarkPayoutProcessing))]
    [RequirePermission(Permissions.Pay)]
    [Tags("Payouts")]
    [EndpointSummary("Mark an approved or failed payout as processing")]
    [EndpointDescription("409 payee_not_payable while the partner has no verified tax form and the organization requires one; nothing changes.")]
    [ProblemResponses(404, 409, 412)]
    public Task<PayoutResult> MarkPayoutProcessing(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "payouts/{id}/mark-processing")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        return ChangeAsync(request, (ifMatch, token) => payouts.MarkProcessingAsync(caller.OrgId, id, ifMatch, caller.Actor, token), cancellationToken);
    }

    [Function(nameof(MarkPayoutPaid))]
    [RequirePermission(Permissions.Pay)]
    [Tags("Payouts")]
    [EndpointSummary("Record that a payout was paid")]
    [EndpointDescription("409 payee_not_payable while the partner has no verified tax form and the organization requires one; nothing changes.")]
    [Consumes(typeof(MarkPaidRequest), "application/json", IsOptional = true)]
    [ProblemResponses(400, 404, 409, 412, 413, 415)]
    public async Task<PayoutResult> MarkPayoutPaid(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "payouts/{id}/mark-paid")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var body = await request.ReadOptionalAsync<MarkPaidRequest>(cancellationToken);
        var errors = new RequestErrors();
        var reference = errors.Text("paymentReference", body?.PaymentReference, 255);
        return errors.Any
            ? Problems.From(errors.ToFailure())
            : await ChangeAsync(request, (ifMatch, token) => payouts.MarkPaidAsync(caller.OrgId, id, ifMatch, caller.Actor, reference, token), cancellationToken);
    }

    [Function(nameof(MarkPayoutFailed))]
    [RequirePermission(Permissions.Pay)]
    [Tags("Payouts")]
    [EndpointSummary("Record that a processing payout failed")]
    [Consumes(typeof(MarkFailedRequest), "application/json", IsOptional = true)]
    [ProblemResponses(400, 404, 409, 412, 413, 415)]
    public async Task<PayoutResult> MarkPayoutFailed(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "payouts/{id}/mark-failed")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var body = await request.ReadOptionalAsync<MarkFailedRequest>(cancellationToken);
        var errors = new RequestErrors();
        var code = errors.Text("failureCode", body?.FailureCode, 100);
        var message = errors.Text("failureMessage", body?.FailureMessage, 1000);
        return errors.Any
            ? Problems.From(errors.ToFailure())
            : await ChangeAsync(request, id, (payout, now) => payout.MarkFailed(caller.Actor, code, message, now), cancellationToken);
    }

    [Function(nameof(BulkApprovePayouts))]
    [RequirePermission(Permissions.Approve)]
    [Idempotent]
    [Tags("Payouts")]
    [EndpointSummary("Approve up to 500 payouts; each is approved, gets its first of two approvals, or is skipped with a code")]
    [EndpointDescription(
        "Each payout is approved as by its own approve, under the organization's approval policy as it is when the request arrives: "
        + "`approved` lists those now approved, `approvalRecorded` those that got the first of the two approvals they need, "
        + "`skipped` the others with their problem code (e.g. duplicate_approval, separation_of_duties, invalid_transition, not_found).")]
    [Consumes(typeof(BulkApproveRequest), "application/json")]
    [ProblemResponses(400, 409, 413, 415, 422)]
    public async Task<Results<Ok<BulkApproveResponse>, ProblemHttpResult>> BulkApprovePayouts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "payouts/bulk-approve")] HttpRequest httpRequest, CancellationToken cancellationToken)
    {
        var caller = httpRequest.Caller();
        var request = await httpRequest.ReadAsync<BulkApproveRequest>(cancellationToken);
        if (request.PayoutIds is not { Count: > 0 and <= PayoutService.MaxBulkApprove } ids || ids.Any(string.IsNullOrEmpty))
        {
            return Problems.Validation("payoutIds", $"Give 1 to {PayoutService.MaxBulkApprove} payout ids.");
        }

        var results = await payouts.BulkApproveAsync(caller.OrgId, ids, caller.Actor, cancellationToken);
        var done = results.Where(r => r.Outcome.Succeeded).ToLookup(r => r.Outcome.Value.Status == PayoutStatus.Approved, r => r.PayoutId);
        return TypedResults.Ok(new BulkApproveResponse(
            done[true].ToList(),
            results.Where(r => !r.Outcome.Succeeded).Select(r => new BulkApproveSkip(r.PayoutId, Problems.CodeOf(r.Outcome.Failure!.Code), r.Outcome.Failure.Detail)).ToList(),
            done[false].ToList()));
    }

    [Function(nameof(GetPayoutStats))]
    [RequirePermission(Permissions.Read)]
    [Tags("Payouts")]
    [EndpointSummary("Count and sum payouts by currency and status")]
    [QueryParameter("period", PeriodQuery)]
    [QueryParameter("partnerId", PartnerQuery)]
    [ProblemResponses(400)]
    public async Task<Results<Ok<StatsResponse>, ProblemHttpResult>> GetPayoutStats(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "payouts/stats")] HttpRequest request, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var errors = new RequestErrors();
        var filter = new PayoutQuery(null, request.Query["partnerId"], request.Query["period"]).ToFilter(errors, partnerScope: null);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var stats = await payouts.GetStatsAsync(caller.OrgId, filter!, cancellationToken);
        return TypedResults.Ok(new StatsResponse(stats.Select(s => s.ToResponse()).ToList()));
    }

    [Function(nameof(ExportPayouts))]
    [RequirePermission(Permissions.Read)]
    [Tags("Payouts")]
    [EndpointSummary("Export the matching payouts as CSV")]
    [QueryParameter("status", StatusQuery)]
    [QueryParameter("partnerId", PartnerQuery)]
    [QueryParameter("period", PeriodQuery)]
    [ProducesResponseType(typeof(string), StatusCodes.Status200OK, "text/csv")]
    [ProblemResponses(400)]
    public IResult ExportPayouts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "payouts/export")] HttpRequest request)
    {
        var caller = request.Caller();
        var errors = new RequestErrors();
        var filter = new PayoutQuery(request.Query["status"], request.Query["partnerId"], request.Query["period"]).ToFilter(errors, partnerScope: null);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var fileName = $"payouts-{caller.OrgId}-{timeProvider.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}.csv";
        return TypedResults.Stream(
            body => PayoutExport.WriteAsync(body, store.GetPayoutsAsync(caller.OrgId, filter!), ids => store.GetPartnersAsync(caller.OrgId, ids)),
            "text/csv; charset=utf-8",
            fileName);
    }

    [Function(nameof(ListAuditLog))]
    [RequirePermission(Permissions.Read)]
    [Tags("Audit")]
    [EndpointSummary("List audit-log entries, newest first")]
    [QueryParameter("payoutId", "Only this payout's entries.")]
    [QueryParameter("limit", LimitQuery)]
    [QueryParameter("cursor", CursorQuery)]
    [ProblemResponses(400)]
    public async Task<Results<Ok<PageResponse<AuditEntryResponse>>, ProblemHttpResult>> ListAuditLog(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit-log")] HttpRequest request, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var payoutId = request.Query["payoutId"].ToString();
        var errors = new RequestErrors();
        var page = errors.Page(request.Query["limit"], request.Query["cursor"]);
        if (errors.Any)
        {
            return Problems.From(errors.ToFailure());
        }

        var result = await store.ListEventsAsync(caller.OrgId, string.IsNullOrEmpty(payoutId) ? null : payoutId, page!, cancellationToken);
        return TypedResults.Ok(new PageResponse<AuditEntryResponse>(result.Items.Select(e => e.ToResponse()).ToList(), Cursor.Encode(result.Next)));
    }

    private async Task<PayoutResult> ChangeAsync(
        HttpRequest request, string id, Func<Payout, DateTimeOffset, Outcome<PayoutEvent>> decide, CancellationToken cancellationToken) =>
        ToResult(request, await payouts.ChangeAsync(request.Caller().OrgId, id, ETags.IfMatch(request), decide, cancellationToken));

    private static async Task<PayoutResult> ChangeAsync(
        HttpRequest request, Func<IReadOnlyCollection<long>?, CancellationToken, Task<Outcome<Payout>>> change, CancellationToken cancellationToken) =>
        ToResult(request, await change(ETags.IfMatch(request), cancellationToken));

    private static PayoutResult ToResult(HttpRequest request, Outcome<Payout> outcome)
    {
        if (!outcome.Succeeded)
        {
            return Problems.From(outcome.Failure!);
        }

        request.HttpContext.Response.Headers.ETag = ETags.For(outcome.Value.Version);
        return TypedResults.Ok(outcome.Value.ToResponse());
    }
}
