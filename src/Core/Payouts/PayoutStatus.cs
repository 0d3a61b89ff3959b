namespace PartnerBase.Core.Payouts;

public enum PayoutStatus
{
    PendingApproval,
    Approved,
    Rejected,
    Processing,
    Paid,
    Failed,
}

public enum PayoutSource
{
    Manual,
    CommissionRun,
}

/// <summary>Every change a payout can undergo. Each one, when allowed, produces exactly one event.</summary>
public enum PayoutAction
{
    Create,
    Update,
    Delete,
    Approve,

    /// <summary>An approval that does not complete what the policy requires: recorded, the payout stays pending.</summary>
    RecordApproval,
    Reject,
    MarkProcessing,
    MarkPaid,
    MarkFailed,
}
