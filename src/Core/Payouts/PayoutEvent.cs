using System.Globalization;

namespace PartnerBase.Core.Payouts;

/// <summary>
/// One change of one payout: the audit record and the outbound event. Immutable; its id is derived from
/// payout id and version, so two writers racing for the same version produce the same id and one loses.
/// </summary>
public sealed record PayoutEvent(
    PayoutAction Action,
    Payout Payout,
    PayoutStatus? PreviousStatus,
    Actor Actor,
    DateTimeOffset At,
    string? Reason)
{
    public string Id => IdFor(Payout.Id, Payout.Version);

    public string OrgId => Payout.OrgId;

    public string PayoutId => Payout.Id;

    /// <summary>The payout's version after this change; events of one payout are numbered 1, 2, 3, …</summary>
    public long Sequence => Payout.Version;

    public string Type => PayoutTransitions.EventType(Action);

    // Zero-padded so that ids of one payout sort in version order (audit pages break time ties by id).
    public static string IdFor(string payoutId, long version) =>
        string.Create(CultureInfo.InvariantCulture, $"{payoutId}-{version:D8}");
}
