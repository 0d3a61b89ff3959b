using System.Collections.Frozen;

namespace PartnerBase.Core.Payouts;

/// <summary>The payout state machine of CONTRACT §3, as one table. A pair that is not here is an invalid transition.</summary>
public static class PayoutTransitions
{
    private static readonly FrozenDictionary<(PayoutStatus From, PayoutAction Action), PayoutStatus> Table =
        new Dictionary<(PayoutStatus, PayoutAction), PayoutStatus>
        {
            [(PayoutStatus.PendingApproval, PayoutAction.Update)] = PayoutStatus.PendingApproval,
            // Delete removes the payout; its events (the audit trail) stay.
            [(PayoutStatus.PendingApproval, PayoutAction.Delete)] = PayoutStatus.PendingApproval,
            [(PayoutStatus.PendingApproval, PayoutAction.Approve)] = PayoutStatus.Approved,
            [(PayoutStatus.PendingApproval, PayoutAction.RecordApproval)] = PayoutStatus.PendingApproval,
            [(PayoutStatus.PendingApproval, PayoutAction.Reject)] = PayoutStatus.Rejected,
            [(PayoutStatus.Approved, PayoutAction.MarkProcessing)] = PayoutStatus.Processing,
            [(PayoutStatus.Failed, PayoutAction.MarkProcessing)] = PayoutStatus.Processing,
            [(PayoutStatus.Approved, PayoutAction.MarkPaid)] = PayoutStatus.Paid,
            [(PayoutStatus.Processing, PayoutAction.MarkPaid)] = PayoutStatus.Paid,
            [(PayoutStatus.Processing, PayoutAction.MarkFailed)] = PayoutStatus.Failed,
        }.ToFrozenDictionary();

    public static IEnumerable<(PayoutStatus From, PayoutAction Action, PayoutStatus To)> All =>
        Table.Select(entry => (entry.Key.From, entry.Key.Action, entry.Value));

    public static bool TryGetTarget(PayoutStatus from, PayoutAction action, out PayoutStatus to) =>
        Table.TryGetValue((from, action), out to);

    /// <summary>The contract's snake_case name of a status, e.g. <c>pending_approval</c>.</summary>
    public static string StatusName(PayoutStatus status) => status switch
    {
        PayoutStatus.PendingApproval => "pending_approval",
        _ => status.ToString().ToLowerInvariant(),
    };

    /// <summary>The event type name of CONTRACT §6 without its prefix, e.g. <c>payout.approved</c>.</summary>
    public static string EventType(PayoutAction action) => action switch
    {
        PayoutAction.Create => "payout.created",
        PayoutAction.Update => "payout.updated",
        PayoutAction.Delete => "payout.deleted",
        PayoutAction.Approve => "payout.approved",
        PayoutAction.RecordApproval => "payout.approval_recorded",
        PayoutAction.Reject => "payout.rejected",
        PayoutAction.MarkProcessing => "payout.processing",
        PayoutAction.MarkPaid => "payout.paid",
        PayoutAction.MarkFailed => "payout.failed",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };
}
