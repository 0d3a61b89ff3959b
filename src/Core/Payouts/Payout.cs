using System.Text.Json.Serialization;

namespace PartnerBase.Core.Payouts;

/// <summary>
/// A payout to a partner. Immutable: every method that changes it returns the event of that change,
/// which carries the payout as it is after the change (<see cref="PayoutEvent.Payout"/>).
/// </summary>
public sealed record Payout
{
    [JsonConstructor]
    private Payout()
    {
    }

    [JsonInclude] public string Id { get; private init; } = "";
    [JsonInclude] public string OrgId { get; private init; } = "";
    [JsonInclude] public string PartnerId { get; private init; } = "";
    [JsonInclude] public Money Amount { get; private init; }
    [JsonInclude] public PayoutStatus Status { get; private init; }
    [JsonInclude] public Period Period { get; private init; }
    [JsonInclude] public string? Notes { get; private init; }
    [JsonInclude] public IReadOnlyDictionary<string, string> Metadata { get; private init; } = EmptyMetadata;
    [JsonInclude] public PayoutSource Source { get; private init; }
    [JsonInclude] public string CreatedBy { get; private init; } = "";
    [JsonInclude] public DateTimeOffset CreatedAt { get; private init; }
    [JsonInclude] public string? UpdatedBy { get; private init; }
    [JsonInclude] public DateTimeOffset UpdatedAt { get; private init; }
    [JsonInclude] public long Version { get; private init; }
    [JsonInclude] public string? ApprovedBy { get; private init; }
    [JsonInclude] public DateTimeOffset? ApprovedAt { get; private init; }
    [JsonInclude] public string? RejectedBy { get; private init; }
    [JsonInclude] public DateTimeOffset? RejectedAt { get; private init; }
    [JsonInclude] public string? RejectionReason { get; private init; }
    [JsonInclude] public DateTimeOffset? ProcessingAt { get; private init; }

    /// <summary>Who moved it into processing last (the system, for an automatic payment through the provider).</summary>
    [JsonInclude] public string? ProcessingBy { get; private init; }
    [JsonInclude] public DateTimeOffset? PaidAt { get; private init; }

    /// <summary>Who marked it paid (the system, when the provider's transfer paid it).</summary>
    [JsonInclude] public string? PaidBy { get; private init; }
    [JsonInclude] public string? PaymentReference { get; private init; }
    [JsonInclude] public DateTimeOffset? FailedAt { get; private init; }
    [JsonInclude] public string? FailureCode { get; private init; }
    [JsonInclude] public string? FailureMessage { get; private init; }

    /// <summary>For a payout of a commission run: how many attribution lines it sums.</summary>
    [JsonInclude] public int? LineCount { get; private init; }

    /// <summary>The approvals since the last edit, oldest first; the last one of an approved payout is its <see cref="ApprovedBy"/>.</summary>
    [JsonInclude] public IReadOnlyList<PayoutApproval> Approvals { get; private init; } = [];

    /// <summary>Every user who ever edited it: none of them may approve it (separation of duties).</summary>
    [JsonInclude] public IReadOnlyList<string> EditedBy { get; private init; } = [];

    private static IReadOnlyDictionary<string, string> EmptyMetadata { get; } = new Dictionary<string, string>();

    public static PayoutEvent Create(PayoutDraft draft, Actor actor, DateTimeOffset now)
    {
        EnsureValidAmount(draft.Amount.MinorUnits);

        var payout = new Payout
        {
            Id = draft.Id,
            OrgId = draft.OrgId,
            PartnerId = draft.PartnerId,
            Amount = draft.Amount,
            Status = PayoutStatus.PendingApproval,
            Period = draft.Period,
            Notes = draft.Notes,
            Metadata = draft.Metadata ?? EmptyMetadata,
            Source = draft.Source,
            LineCount = draft.LineCount,
            CreatedBy = actor.Id,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        };
        return new PayoutEvent(PayoutAction.Create, payout, PreviousStatus: null, actor, now, draft.Reason);
    }

    public Outcome<PayoutEvent> Update(PayoutChanges changes, Actor actor, DateTimeOffset now)
    {
        if (changes.Amount is { } amount)
        {
            EnsureValidAmount(amount);
        }

        return Change(PayoutAction.Update, actor, now, reason: null, payout => payout with
        {
            Amount = new Money(changes.Amount ?? Amount.MinorUnits, changes.Currency ?? Amount.Currency),
            Period = changes.Period ?? Period,
            Notes = changes.Notes is null ? Notes : NullIfEmpty(changes.Notes),
            Metadata = changes.Metadata ?? Metadata,
            UpdatedBy = actor.Id,
            // An edited payout needs fresh approvals, and its editor is one more person who may not approve it.
            Approvals = [],
            EditedBy = actor.Kind == ActorKind.User && !EditedBy.Contains(actor.Id) ? [.. EditedBy, actor.Id] : EditedBy,
        });
    }

    public Outcome<PayoutEvent> Delete(Actor actor, DateTimeOffset now) =>
        Change(PayoutAction.Delete, actor, now, reason: null, payout => payout);

    /// <summary>
    /// An approval under the organization's <paramref name="policy"/> as it is now: the approval that completes
    /// what the policy requires approves the payout (<see cref="PayoutAction.Approve"/>); an earlier one is only
    /// recorded (<see cref="PayoutAction.RecordApproval"/>). Nobody approves a payout they created or ever edited,
    /// and no one counts twice.
    /// </summary>
    public Outcome<PayoutEvent> Approve(Actor actor, ApprovalPolicy policy, DateTimeOffset now)
    {
        // Checked only where the table allows approval at all, so that an illegal pair is always invalid_transition.
        if (!PayoutTransitions.TryGetTarget(Status, PayoutAction.Approve, out _))
        {
            return Change(PayoutAction.Approve, actor, now, reason: null, payout => payout);
        }

        if (actor.Kind == ActorKind.User
            && ((Source == PayoutSource.Manual && CreatedBy == actor.Id) || EditedBy.Contains(actor.Id)))
        {
            return new Failure(Core.FailureCode.SeparationOfDuties, "A payout cannot be approved by the user who created or edited it.");
        }

        var required = policy.RequiredApprovals(Amount);
        var already = Approvals.Any(approval => approval.By == actor.Id);
        if (already && required > 1)
        {
            return new Failure(Core.FailureCode.DuplicateApproval, $"'{actor.Id}' has already approved this payout; it needs another approver.");
        }

        IReadOnlyList<PayoutApproval> approvals = already ? Approvals : [.. Approvals, new PayoutApproval(actor.Id, now)];
        return approvals.Count < required
            ? Change(PayoutAction.RecordApproval, actor, now, reason: null, payout => payout with { Approvals = approvals })
            : Change(PayoutAction.Approve, actor, now, reason: null, payout => payout with { Approvals = approvals, ApprovedBy = actor.Id, ApprovedAt = now });
    }

    /// <summary>
    /// The system's approval of a payout it just created in a commission run (CONTRACT §8 <c>autoApproveBelow</c>):
    /// only while untouched since creation, and only when the policy approves its amount automatically.
    /// </summary>
    public Outcome<PayoutEvent> ApproveAutomatically(ApprovalPolicy policy, DateTimeOffset now)
    {
        if (Source != PayoutSource.CommissionRun || Version != 1 || !policy.ApprovesAutomatically(Amount))
        {
            return new Failure(Core.FailureCode.InvalidTransition, "Only an untouched commission-run payout below the automatic approval threshold is approved automatically.");
        }

        return Change(PayoutAction.Approve, Actor.System, now, reason: "Below the organization's automatic approval threshold.", payout => payout with
        {
            Approvals = [new PayoutApproval(Actor.SystemId, now)],
            ApprovedBy = Actor.SystemId,
            ApprovedAt = now,
        });
    }

    public Outcome<PayoutEvent> Reject(Actor actor, string? reason, DateTimeOffset now) =>
        Change(PayoutAction.Reject, actor, now, reason, payout => payout with
        {
            RejectedBy = actor.Id,
            RejectedAt = now,
            RejectionReason = reason,
        });

    /// <summary>Into processing, also again after a failure: the earlier failure stays in the audit trail, not on the payout.</summary>
    public Outcome<PayoutEvent> MarkProcessing(Actor actor, DateTimeOffset now) =>
        Change(PayoutAction.MarkProcessing, actor, now, reason: null, payout => payout with
        {
            ProcessingAt = now,
            ProcessingBy = actor.Id,
            FailedAt = null,
            FailureCode = null,
            FailureMessage = null,
        });

    public Outcome<PayoutEvent> MarkPaid(Actor actor, string? paymentReference, DateTimeOffset now) =>
        Change(PayoutAction.MarkPaid, actor, now, reason: null, payout => payout with
        {
            PaidAt = now,
            PaidBy = actor.Id,
            PaymentReference = paymentReference ?? PaymentReference,
        });

    public Outcome<PayoutEvent> MarkFailed(Actor actor, string? failureCode, string? failureMessage, DateTimeOffset now) =>
        Change(PayoutAction.MarkFailed, actor, now, failureMessage, payout => payout with
        {
            FailedAt = now,
            FailureCode = failureCode,
            FailureMessage = failureMessage,
        });

    /// <summary>
    /// Folds a payout's events, oldest first, into its current state (null once deleted).
    /// Each event must follow the table and the version chain; a broken chain is corrupt data, so it throws.
    /// </summary>
    public static Payout? Replay(IEnumerable<PayoutEvent> events) => Replay(null, events);

    /// <summary>Applies a payout's events newer than <paramref name="from"/> (a stored state, possibly behind).</summary>
    public static Payout? Replay(Payout? from, IEnumerable<PayoutEvent> events)
    {
        var current = from;
        var deleted = false;
        foreach (var change in events)
        {
            if (deleted)
            {
                throw new InvalidOperationException($"Event {change.Id} follows the deletion of payout {change.PayoutId}.");
            }

            current = ApplyNext(current, change);
            deleted = change.Action == PayoutAction.Delete;
        }

        return deleted ? null : current;
    }

    /// <summary>Checks that <paramref name="change"/> is the next event of <paramref name="current"/> and returns the state it leads to.</summary>
    public static Payout ApplyNext(Payout? current, PayoutEvent change)
    {
        var expectedVersion = (current?.Version ?? 0) + 1;
        var follows = current is null
            ? change.Action == PayoutAction.Create && change.Payout.Status == PayoutStatus.PendingApproval
            : current.Id == change.PayoutId
              && change.PreviousStatus == current.Status
              && PayoutTransitions.TryGetTarget(current.Status, change.Action, out var to) && to == change.Payout.Status;
        if (!follows || change.Sequence != expectedVersion)
        {
            throw new InvalidOperationException($"Event {change.Id} ({change.Action}, v{change.Sequence}) does not follow payout state v{expectedVersion - 1}.");
        }

        return change.Payout;
    }

    private Outcome<PayoutEvent> Change(PayoutAction action, Actor actor, DateTimeOffset now, string? reason, Func<Payout, Payout> apply)
    {
        if (!PayoutTransitions.TryGetTarget(Status, action, out var to))
        {
            return new Failure(Core.FailureCode.InvalidTransition,
                $"A payout in status '{PayoutTransitions.StatusName(Status)}' cannot be {PastTense(action)}.");
        }

        var next = apply(this) with { Status = to, Version = Version + 1, UpdatedAt = now };
        return new PayoutEvent(action, next, Status, actor, now, reason);
    }

    private static void EnsureValidAmount(long minorUnits)
    {
        if (minorUnits is <= 0 or > Money.MaxPayoutAmount)
        {
            throw new ArgumentOutOfRangeException(nameof(minorUnits), minorUnits, "A payout amount must be positive and within the contract's limit.");
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static string PastTense(PayoutAction action) => action switch
    {
        PayoutAction.Update => "updated",
        PayoutAction.Delete => "deleted",
        PayoutAction.Approve or PayoutAction.RecordApproval => "approved",
        PayoutAction.Reject => "rejected",
        PayoutAction.MarkProcessing => "marked processing",
        PayoutAction.MarkPaid => "marked paid",
        PayoutAction.MarkFailed => "marked failed",
        _ => "created",
    };
}

/// <summary>What a new payout is made of.</summary>
public sealed record PayoutDraft(
    string Id,
    string OrgId,
    string PartnerId,
    Money Amount,
    Period Period,
    string? Notes,
    IReadOnlyDictionary<string, string>? Metadata,
    PayoutSource Source = PayoutSource.Manual,
    string? Reason = null,
    int? LineCount = null);

/// <summary>An update of a pending payout; null leaves a field as it is, an empty <see cref="Notes"/> clears it.</summary>
public sealed record PayoutChanges(long? Amount, Currency? Currency, Period? Period, string? Notes, IReadOnlyDictionary<string, string>? Metadata);
