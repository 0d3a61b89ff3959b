using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using PartnerBase.Core;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Http;

namespace PartnerBase.Functions.Payouts;

/// <summary>Requests bind every field as optional so that a missing one is a validation_failed naming it; [Required] marks what the contract requires (for the OpenAPI document).</summary>
public sealed record CreatePayoutRequest(
    [property: Required] string? PartnerId,
    [property: Required] long? Amount,
    [property: Required] string? Currency,
    [property: Required] string? Period,
    string? Notes,
    Dictionary<string, string>? Metadata)
{
    public const int MaxNotesLength = 2000;

    public Outcome<NewPayout> ToCommand(string orgId)
    {
        var errors = new RequestErrors();
        var partnerId = errors.Required("partnerId", PartnerId, 64);
        var amount = errors.Amount("amount", Amount, required: true);
        var currency = errors.Currency("currency", Currency, required: true);
        var period = errors.Period("period", Period, required: true);
        var notes = errors.Text("notes", Notes, MaxNotesLength);
        var metadata = errors.Metadata("metadata", Metadata);
        return errors.Any
            ? errors.ToFailure()
            : new NewPayout(orgId, partnerId!, new Money(amount!.Value, currency!.Value), period!.Value, string.IsNullOrEmpty(notes) ? null : notes, metadata);
    }
}

/// <summary>A partial update (merge patch): absent fields stay as they are; <c>"notes": null</c> or <c>""</c> clears the notes, <c>"metadata": null</c> or <c>{}</c> the metadata.</summary>
public sealed class UpdatePayoutRequest : PatchRequest
{
    [DisallowNull]
    public long? Amount { get; set => field = Set(value); }

    [DisallowNull]
    public string? Currency { get; set => field = Set(value); }

    [DisallowNull]
    public string? Period { get; set => field = Set(value); }

    public string? Notes { get; set => field = Set(value); }

    public Dictionary<string, string>? Metadata { get; set => field = Set(value); }

    public Outcome<PayoutChanges> ToChanges()
    {
        var errors = new RequestErrors();
        RejectNulls(errors);
        var changes = new PayoutChanges(
            errors.Amount("amount", Amount, required: false),
            errors.Currency("currency", Currency, required: false),
            errors.Period("period", Period, required: false),
            IsNull("notes") ? "" : errors.Text("notes", Notes, CreatePayoutRequest.MaxNotesLength),
            IsNull("metadata") ? new Dictionary<string, string>() : errors.Metadata("metadata", Metadata));
        if (!errors.Any && changes == new PayoutChanges(null, null, null, null, null))
        {
            errors.Add("body", "Give at least one of amount, currency, period, notes, metadata.");
        }

        return errors.Any ? errors.ToFailure() : changes;
    }
}

public sealed record RejectPayoutRequest(string? Reason);

public sealed record MarkPaidRequest(string? PaymentReference);

public sealed record MarkFailedRequest(string? FailureCode, string? FailureMessage);

public sealed record BulkApproveRequest([property: Required] List<string>? PayoutIds);

/// <summary>Each id lands in one list: approved, skipped (with its code), or approvalRecorded (the first of two approvals).</summary>
public sealed record BulkApproveResponse(IReadOnlyList<string> Approved, IReadOnlyList<BulkApproveSkip> Skipped, IReadOnlyList<string> ApprovalRecorded);

public sealed record BulkApproveSkip(string Id, string Code, string Detail);

/// <summary>The list filters shared by list, stats and export.</summary>
public sealed record PayoutQuery(string? Status, string? PartnerId, string? Period)
{
    private static readonly Dictionary<string, PayoutStatus> StatusesByName =
        Enum.GetValues<PayoutStatus>().ToDictionary(PayoutTransitions.StatusName, StringComparer.Ordinal);

    /// <summary>The filter, or null when a partner-scoped caller asked for another partner (nothing matches).</summary>
    public PayoutFilter? ToFilter(RequestErrors errors, string? partnerScope)
    {
        HashSet<PayoutStatus>? statuses = null;
        if (!string.IsNullOrEmpty(Status))
        {
            statuses = [];
            foreach (var name in Status.Split(',', StringSplitOptions.TrimEntries))
            {
                if (StatusesByName.TryGetValue(name, out var status))
                {
                    statuses.Add(status);
                }
                else
                {
                    errors.Add("status", $"'{name}' is not a status; use {string.Join(", ", StatusesByName.Keys)}.");
                }
            }
        }

        var period = errors.Period("period", string.IsNullOrEmpty(Period) ? null : Period, required: false);
        var partnerId = string.IsNullOrEmpty(PartnerId) ? null : PartnerId;
        if (partnerScope is not null)
        {
            if (partnerId is not null && partnerId != partnerScope)
            {
                return null;
            }

            partnerId = partnerScope;
        }

        return new PayoutFilter(statuses, partnerId, period);
    }
}

public sealed record PayoutResponse(
    string Id,
    string PartnerId,
    long Amount,
    string Currency,
    PayoutStatus Status,
    string Period,
    string? Notes,
    IReadOnlyDictionary<string, string> Metadata,
    PayoutSource Source,
    string CreatedBy,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    string? UpdatedBy,
    long Version,
    string? ApprovedBy,
    DateTime? ApprovedAt,
    string? RejectedBy,
    DateTime? RejectedAt,
    string? RejectionReason,
    DateTime? ProcessingAt,
    DateTime? PaidAt,
    string? PaymentReference,
    DateTime? FailedAt,
    string? FailureCode,
    string? FailureMessage,
    int? LineCount,
    IReadOnlyList<ApprovalResponse> Approvals,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PartnerRef? Partner = null);

/// <summary>One recorded approval (CONTRACT §8): who and when.</summary>
public sealed record ApprovalResponse(string By, DateTime At);

/// <summary>The partner embedded by <c>expand=partner</c>.</summary>
public sealed record PartnerRef(string Id, string Name, string Email);

public sealed record StatsResponse(IReadOnlyList<CurrencyStatsResponse> Currencies);

public sealed record CurrencyStatsResponse(
    string Currency,
    BucketResponse PendingApproval,
    BucketResponse Approved,
    BucketResponse Processing,
    BucketResponse Paid,
    BucketResponse Failed,
    BucketResponse Rejected,
    BucketResponse Total);

public sealed record BucketResponse(long Count, long Amount);

public sealed record PartnerPayoutSummaryResponse(string PartnerId, IReadOnlyList<PartnerCurrencySummaryResponse> Currencies, LastPayoutResponse? LastPayout);

public sealed record PartnerCurrencySummaryResponse(string Currency, BucketResponse LifetimePaid, BucketResponse Pending, BucketResponse Failed);

public sealed record LastPayoutResponse(string Id, long Amount, string Currency, DateTime? PaidAt);

public sealed record AuditEntryResponse(string Id, string Type, string PayoutId, ActorResponse Actor, DateTime At, PayoutEventData Data);

public sealed record ActorResponse(ActorKind Kind, string Id);

/// <summary>What a change did: the <c>data</c> of an audit entry and of the payout event's CloudEvent (CONTRACT §6).</summary>
public sealed record PayoutEventData(
    PayoutResponse Payout,
    PayoutStatus? PreviousStatus,
    ActorResponse Actor,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason);

public static class PayoutMappings
{
    public static PayoutResponse ToResponse(this Payout payout, Partner? partner = null) => new(
        payout.Id,
        payout.PartnerId,
        payout.Amount.MinorUnits,
        payout.Amount.Currency.Code,
        payout.Status,
        payout.Period.ToString(),
        payout.Notes,
        payout.Metadata,
        payout.Source,
        payout.CreatedBy,
        payout.CreatedAt.UtcDateTime,
        payout.UpdatedAt.UtcDateTime,
        payout.UpdatedBy,
        payout.Version,
        payout.ApprovedBy,
        payout.ApprovedAt?.UtcDateTime,
        payout.RejectedBy,
        payout.RejectedAt?.UtcDateTime,
        payout.RejectionReason,
        payout.ProcessingAt?.UtcDateTime,
        payout.PaidAt?.UtcDateTime,
        payout.PaymentReference,
        payout.FailedAt?.UtcDateTime,
        payout.FailureCode,
        payout.FailureMessage,
        payout.LineCount,
        payout.Approvals.Select(approval => new ApprovalResponse(approval.By, approval.At.UtcDateTime)).ToList(),
        partner is null ? null : new PartnerRef(partner.Id, partner.Name, partner.Email));

    public static AuditEntryResponse ToResponse(this PayoutEvent change) => new(
        change.Id,
        change.Type,
        change.PayoutId,
        new ActorResponse(change.Actor.Kind, change.Actor.Id),
        change.At.UtcDateTime,
        change.ToEventData());

    public static PayoutEventData ToEventData(this PayoutEvent change) =>
        new(change.Payout.ToResponse(), change.PreviousStatus, new ActorResponse(change.Actor.Kind, change.Actor.Id), change.Reason);

    public static BucketResponse ToResponse(this Bucket bucket) => new(bucket.Count, bucket.Amount);

    public static CurrencyStatsResponse ToResponse(this CurrencyStats stats) => new(
        stats.Currency.Code,
        stats.PendingApproval.ToResponse(),
        stats.Approved.ToResponse(),
        stats.Processing.ToResponse(),
        stats.Paid.ToResponse(),
        stats.Failed.ToResponse(),
        stats.Rejected.ToResponse(),
        stats.Total.ToResponse());

    public static PartnerPayoutSummaryResponse ToResponse(this PartnerPayoutSummary summary) => new(
        summary.PartnerId,
        summary.Currencies.Select(c => new PartnerCurrencySummaryResponse(c.Currency.Code, c.LifetimePaid.ToResponse(), c.Pending.ToResponse(), c.Failed.ToResponse())).ToList(),
        summary.LastPayout is { } last ? new LastPayoutResponse(last.Id, last.Amount.MinorUnits, last.Amount.Currency.Code, last.PaidAt?.UtcDateTime) : null);
}
