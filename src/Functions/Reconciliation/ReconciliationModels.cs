using System.Text.Json.Serialization;
using PartnerBase.Core.Reconciliation;

namespace PartnerBase.Functions.Reconciliation;

/// <summary>ISO 8601 dates (00:00 UTC) or timestamps; <c>from</c> inclusive, <c>to</c> exclusive; default the last 7 days up to now.</summary>
public sealed record CreateReconciliationRunRequest(string? From, string? To);

public sealed record ReconciliationRunResponse(
    string Id,
    DateTime From,
    DateTime To,
    DateTime CreatedAt,
    int Matched,
    IReadOnlyList<ReconciliationIssueResponse> Issues);

/// <summary>
/// <c>expected</c>/<c>actual</c>: for <c>amount_mismatch</c> minor units as decimal strings, for
/// <c>currency_mismatch</c> ISO 4217 codes.
/// </summary>
public sealed record ReconciliationIssueResponse(
    IssueKind Kind,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PayoutId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TransferId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Expected,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Actual);

public static class ReconciliationMapping
{
    public static ReconciliationRunResponse ToResponse(this ReconciliationReport report) => new(
        report.Id,
        report.From.UtcDateTime,
        report.To.UtcDateTime,
        report.CreatedAt.UtcDateTime,
        report.Matched,
        report.Issues.Select(i => new ReconciliationIssueResponse(i.Kind, i.PayoutId, i.TransferId, i.Expected, i.Actual)).ToList());
}
