namespace PartnerBase.Core.Reconciliation;

/// <summary>What a reconciliation found wrong (CONTRACT §10).</summary>
public enum IssueKind
{
    /// <summary>A payout paid through the provider whose transfer the provider does not have.</summary>
    MissingTransfer,

    /// <summary>A transfer of the organization that pays no payout paid or processing through the provider (or pays one twice).</summary>
    UnknownTransfer,

    AmountMismatch,

    CurrencyMismatch,

    /// <summary>The provider reversed the transfer that paid a payout.</summary>
    ReversedTransfer,

    /// <summary>Processing for more than a day.</summary>
    StuckProcessing,
}

/// <summary>Amounts are minor units; <c>Expected</c>/<c>Actual</c> are amounts for an amount mismatch and codes for a currency mismatch.</summary>
public sealed record ReconciliationIssue(IssueKind Kind, string? PayoutId = null, string? TransferId = null, string? Expected = null, string? Actual = null);

public sealed record ReconciliationReport(
    string Id,
    string OrgId,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset CreatedAt,
    int Matched,
    IReadOnlyList<ReconciliationIssue> Issues);

/// <summary>Where a reconciliation run is listed (its report lives in Blob Storage).</summary>
public sealed record ReconciliationEntry(string Id, string OrgId, DateTimeOffset From, DateTimeOffset To, DateTimeOffset CreatedAt, int Matched, int IssueCount);
