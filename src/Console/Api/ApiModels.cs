using PartnerBase.Core.Payouts;
using PartnerBase.Core.Reconciliation;
using PartnerBase.Core.Webhooks;

namespace PartnerBase.Console.Api;

// The API's answers as the console reads them (CONTRACT §3–§8, §10, §11), camelCase with snake_case enums like the API. Kept
// beside the client, checked against the API's OpenAPI document by the console tests.

public sealed record Page<T>(IReadOnlyList<T> Data, string? NextCursor);

public sealed record Payout(
    string Id,
    string PartnerId,
    long Amount,
    string Currency,
    PayoutStatus Status,
    string Period,
    string? Notes,
    IReadOnlyDictionary<string, string>? Metadata,
    PayoutSource Source,
    string CreatedBy,
    DateTime CreatedAt,
    DateTime UpdatedAt,
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
    IReadOnlyList<Approval>? Approvals,
    PartnerRef? Partner);

public sealed record Approval(string By, DateTime At);

public sealed record PartnerRef(string Id, string Name, string Email);

public sealed record Bucket(long Count, long Amount);

public sealed record CurrencyStats(
    string Currency,
    Bucket PendingApproval,
    Bucket Approved,
    Bucket Processing,
    Bucket Paid,
    Bucket Failed,
    Bucket Rejected,
    Bucket Total);

public sealed record Stats(IReadOnlyList<CurrencyStats> Currencies);

public sealed record BulkApproveSkip(string Id, string Code, string Detail);

public sealed record BulkApproveResult(IReadOnlyList<string> Approved, IReadOnlyList<BulkApproveSkip> Skipped, IReadOnlyList<string>? ApprovalRecorded);

public sealed record Actor(string Kind, string Id);

public sealed record AuditEventData(Payout Payout, PayoutStatus? PreviousStatus, Actor Actor, string? Reason);

public sealed record AuditEntry(string Id, string Type, string PayoutId, Actor Actor, DateTime At, AuditEventData Data);

public sealed record Partner(
    string Id,
    string Name,
    string Email,
    int CommissionRateBps,
    string? PayoutCurrency,
    string? PayoutAccountId,
    string TaxFormStatus,
    bool Payable,
    IReadOnlyList<string> PayableBlockers,
    DateTime CreatedAt,
    long Version);

public sealed record PartnerCurrencySummary(string Currency, Bucket LifetimePaid, Bucket Pending, Bucket Failed);

public sealed record LastPayout(string Id, long Amount, string Currency, DateTime? PaidAt);

public sealed record PartnerSummary(string PartnerId, IReadOnlyList<PartnerCurrencySummary> Currencies, LastPayout? LastPayout);

public sealed record ApprovalPolicy(IReadOnlyDictionary<string, long> DualApprovalAtOrAbove, IReadOnlyDictionary<string, long> AutoApproveBelow);

public sealed record Organization(
    string OrgId,
    IReadOnlyDictionary<string, long> MinimumPayouts,
    bool AutomaticPayments,
    IReadOnlyList<string> ApproverEmails,
    bool RequireVerifiedTaxForm,
    ApprovalPolicy ApprovalPolicy,
    int HoldDays,
    IReadOnlyList<string> FinanceEmails);

public sealed record RunPayout(string? PayoutId, string PartnerId, string Currency, long Amount, int AttributionCount);

public sealed record CarriedForward(string PartnerId, string Currency, long Amount);

public sealed record Held(string PartnerId, string Currency, long Amount, int AttributionCount, DateTime PayableFrom);

public sealed record CommissionRun(string Period, bool DryRun, IReadOnlyList<RunPayout> Payouts, IReadOnlyList<CarriedForward> CarriedForward, IReadOnlyList<Held>? Held);

// Statements and reconciliation (CONTRACT §10).
public sealed record StatementEntry(string Id, string PartnerId, string Period, DateTime GeneratedAt);

public sealed record GeneratedStatements(string Period, IReadOnlyList<StatementEntry> Statements);

public sealed record Statement(string Id, string OrgId, string Period, DateTime GeneratedAt, StatementPartner Partner, IReadOnlyList<StatementCurrency> Currencies);

public sealed record StatementPartner(string Id, string Name, string? Email);

public sealed record StatementCurrency(string Currency, IReadOnlyList<StatementPayout> Payouts, IReadOnlyList<StatementHeld> Held, long CarriedForward, StatementTotals Totals);

public sealed record StatementPayout(string Id, PayoutStatus Status, long Amount, PayoutSource Source, DateTime? PaidAt, string? PaymentReference, IReadOnlyList<StatementLine> Lines);

/// <summary>A commission line; a reversal is negative.</summary>
public sealed record StatementLine(string AttributionId, string DealId, DateTime ClosedAt, long AttributedAmount, int CommissionRateBps, long Commission);

public sealed record StatementHeld(string AttributionId, string DealId, DateTime ClosedAt, long Commission, DateTime PayableFrom);

public sealed record StatementTotals(long Earned, long Paid, long Pending, long Failed);

public sealed record ReconciliationRun(string Id, DateTime From, DateTime To, DateTime CreatedAt, int Matched, IReadOnlyList<ReconciliationIssue> Issues);

/// <summary><c>expected</c>/<c>actual</c>: minor units as decimal strings for an amount mismatch, ISO 4217 codes for a currency mismatch.</summary>
public sealed record ReconciliationIssue(IssueKind Kind, string? PayoutId, string? TransferId, string? Expected, string? Actual);

// Webhooks (CONTRACT §11).
public sealed record WebhookEndpoint(
    string Id,
    string Url,
    IReadOnlyList<string> EventTypes,
    string? Description,
    WebhookEndpointStatus Status,
    string? DisabledReason,
    DateTime CreatedAt,
    long Version);

/// <summary>An endpoint with its signing secret: the answer of creation and rotation, the only ones that show it.</summary>
public sealed record WebhookEndpointWithSecret(
    string Id,
    string Url,
    IReadOnlyList<string> EventTypes,
    string? Description,
    WebhookEndpointStatus Status,
    string Secret,
    long Version);

/// <summary>One try: the receiver's status code, or none when it never answered (then <c>error</c> says why).</summary>
public sealed record WebhookAttempt(DateTime At, int? StatusCode, string? Error, long DurationMs);

public sealed record WebhookDelivery(
    string Id,
    string EventId,
    string EventType,
    WebhookDeliveryStatus Status,
    IReadOnlyList<WebhookAttempt> Attempts,
    DateTime? NextAttemptAt,
    DateTime CreatedAt);

/// <summary>The list filters of CONTRACT §4, as the payouts page keeps them in its query string.</summary>
public sealed record PayoutFilter(string? Status = null, string? PartnerId = null, string? Period = null)
{
    public static readonly PayoutFilter None = new();

    public bool IsEmpty => string.IsNullOrEmpty(Status) && string.IsNullOrEmpty(PartnerId) && string.IsNullOrEmpty(Period);
}

// Requests.
public sealed record NewPayout(string PartnerId, long Amount, string Currency, string Period, string? Notes);

public sealed record NewPartner(string? Id, string Name, string Email, int CommissionRateBps, string? PayoutCurrency, string? PayoutAccountId, string? TaxFormStatus);

/// <param name="EventTypes">Event types without the <c>com.partnerbase.</c> prefix, or <c>["*"]</c> for all.</param>
public sealed record NewWebhookEndpoint(string Url, IReadOnlyList<string> EventTypes, string? Description);
