using PartnerBase.Core.Payouts;

namespace PartnerBase.Core.Tests.Payouts;

/// <summary>Drafts and action dispatch shared by the payout tests.</summary>
internal static class TestPayouts
{
    public static DateTimeOffset Start { get; } = new(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);

    public static Currency Usd { get; } = Currency.Parse("USD");

    public static PayoutDraft Draft(string id = "po_1", long amount = 10_000, PayoutSource source = PayoutSource.Manual) =>
        new(id, "org_1", "pa_1", new Money(amount, Usd), Period.Month(2026, 7), "first draft", null, source);

    /// <summary>A policy under which <paramref name="amount"/> needs two approvers, exactly at the threshold.</summary>
    public static ApprovalPolicy DualFor(Money amount) =>
        ApprovalPolicy.Default with { DualApprovalAtOrAbove = new Dictionary<string, long> { [amount.Currency.Code] = amount.MinorUnits } };

    /// <summary>Applies any non-create action the way the API would, with <paramref name="text"/> as its optional string.</summary>
    public static Outcome<PayoutEvent> Apply(Payout payout, PayoutAction action, Actor actor, string? text, DateTimeOffset now) => action switch
    {
        PayoutAction.Update => payout.Update(new PayoutChanges(payout.Amount.MinorUnits + 1, null, null, text, null), actor, now),
        PayoutAction.Delete => payout.Delete(actor, now),
        PayoutAction.Approve => payout.Approve(actor, ApprovalPolicy.Default, now),
        PayoutAction.RecordApproval => payout.Approve(actor, DualFor(payout.Amount), now),
        PayoutAction.Reject => payout.Reject(actor, text, now),
        PayoutAction.MarkProcessing => payout.MarkProcessing(actor, now),
        PayoutAction.MarkPaid => payout.MarkPaid(actor, text, now),
        PayoutAction.MarkFailed => payout.MarkFailed(actor, "account_closed", text, now),
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Create has no payout to act on."),
    };
}
