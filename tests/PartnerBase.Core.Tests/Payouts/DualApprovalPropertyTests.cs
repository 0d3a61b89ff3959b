using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PartnerBase.Core.Payouts;

namespace PartnerBase.Core.Tests.Payouts;

/// <summary>
/// CONTRACT §8 as a property: random approvals, edits and rejections by random users, each approval under a random
/// threshold (none, below, equal to or above the amount at that moment). A payout at or above the threshold in force
/// reaches <c>approved</c> only after two distinct approvers who never created or edited it, and never otherwise;
/// below it, one such approver suffices.
/// </summary>
public class DualApprovalPropertyTests
{
    private const string Creator = "u0";
    private static readonly string[] Users = ["u0", "u1", "u2", "u3"];

    [Property(MaxTest = 1_000)]
    public Property Approve_RandomApprovalsEditsAndRejections_FollowsTheDualApprovalRule() =>
        Prop.ForAll(Runs(), Check);

    private static void Check(Step[] steps)
    {
        var created = Payout.Create(TestPayouts.Draft(amount: 10_000), Actor.User(Creator), TestPayouts.Start);
        List<PayoutEvent> events = [created];
        var payout = created.Payout;
        var editors = new HashSet<string>(StringComparer.Ordinal);

        // Users whose approval was accepted since the last edit: what the model expects the payout to know.
        var approvers = new List<string>();

        foreach (var (step, index) in steps.Select((step, index) => (step, index)))
        {
            var actor = Actor.User(Users[step.User]);
            var now = TestPayouts.Start.AddMinutes(index + 1);
            var pending = payout.Status == PayoutStatus.PendingApproval;
            Outcome<PayoutEvent> outcome;
            switch (step.Kind)
            {
                case StepKind.Edit:
                    outcome = payout.Update(new PayoutChanges(step.Amount, null, null, null, null), actor, now);
                    Assert.Equal(pending, outcome.Succeeded);
                    if (outcome.Succeeded)
                    {
                        editors.Add(actor.Id);
                        approvers.Clear();
                        Assert.Empty(outcome.Value.Payout.Approvals);
                    }

                    break;

                case StepKind.Reject:
                    outcome = payout.Reject(actor, "no", now);
                    Assert.Equal(pending, outcome.Succeeded);
                    break;

                default:
                    var policy = PolicyFor(step.Threshold, payout.Amount);
                    var dual = step.Threshold is ThresholdKind.Below or ThresholdKind.Equal;
                    outcome = payout.Approve(actor, policy, now);
                    var ineligible = actor.Id == Creator || editors.Contains(actor.Id);
                    var duplicate = approvers.Contains(actor.Id);
                    if (!pending)
                    {
                        Assert.Equal(FailureCode.InvalidTransition, outcome.Failure?.Code);
                    }
                    else if (ineligible)
                    {
                        Assert.Equal(FailureCode.SeparationOfDuties, outcome.Failure?.Code);
                    }
                    else if (duplicate && dual)
                    {
                        Assert.Equal(FailureCode.DuplicateApproval, outcome.Failure?.Code);
                    }
                    else
                    {
                        Assert.True(outcome.Succeeded, outcome.Failure?.Detail);
                        if (!duplicate)
                        {
                            approvers.Add(actor.Id);
                        }

                        var change = outcome.Value;
                        var expected = approvers.Count >= (dual ? 2 : 1) ? PayoutAction.Approve : PayoutAction.RecordApproval;
                        Assert.Equal(expected, change.Action);
                        Assert.Equal(approvers, change.Payout.Approvals.Select(a => a.By));
                    }

                    break;
            }

            if (!outcome.Succeeded)
            {
                continue;
            }

            var next = outcome.Value.Payout;
            if (next.Status == PayoutStatus.Approved)
            {
                // The rule itself, checked on the payout and not on the model: who approved it, and under which threshold.
                var distinct = next.Approvals.Select(a => a.By).Distinct(StringComparer.Ordinal).ToList();
                Assert.All(distinct, by => Assert.False(by == Creator || editors.Contains(by), $"{by} created or edited the payout it approved."));
                Assert.InRange(distinct.Count, PolicyFor(step.Threshold, payout.Amount).RequiredApprovals(next.Amount), 2);
            }

            events.Add(outcome.Value);
            payout = next;
        }

        // Every recorded approval and every edit is an event, and the events fold back into the payout.
        Assert.Equal(payout, Payout.Replay(events));
    }

    private static ApprovalPolicy PolicyFor(ThresholdKind threshold, Money amount) => threshold switch
    {
        ThresholdKind.None => ApprovalPolicy.Default,
        ThresholdKind.Below => WithThreshold(amount.MinorUnits - 1),
        ThresholdKind.Equal => WithThreshold(amount.MinorUnits),
        _ => WithThreshold(amount.MinorUnits + 1),
    };

    private static ApprovalPolicy WithThreshold(long threshold) =>
        ApprovalPolicy.Default with { DualApprovalAtOrAbove = new Dictionary<string, long> { ["USD"] = threshold } };

    private static Arbitrary<Step[]> Runs()
    {
        var approve =
            from user in Gen.Choose(0, Users.Length - 1)
            from threshold in Gen.Elements(Enum.GetValues<ThresholdKind>())
            select new Step(StepKind.Approve, user, threshold, 0);
        var edit =
            from user in Gen.Choose(0, Users.Length - 1)
            from amount in Gen.Choose(1, 20_000)
            select new Step(StepKind.Edit, user, ThresholdKind.None, amount);
        var reject = Gen.Choose(0, Users.Length - 1).Select(user => new Step(StepKind.Reject, user, ThresholdKind.None, 0));

        // Mostly approvals, so that runs often get to a second approval before an edit or a rejection.
        var step = Gen.Frequency((8, approve), (3, edit), (1, reject));
        var run = Gen.Choose(0, 25).SelectMany(length => Gen.ArrayOf(step, length));
        return Arb.From(run, steps => Enumerable.Range(0, steps.Length).Select(skip => steps.Where((_, i) => i != skip).ToArray()));
    }

    public enum StepKind
    {
        Approve,
        Edit,
        Reject,
    }

    /// <summary>Where the dual-approval threshold in force at an approval lies relative to the payout's amount then.</summary>
    public enum ThresholdKind
    {
        None,
        Below,
        Equal,
        Above,
    }

    public sealed record Step(StepKind Kind, int User, ThresholdKind Threshold, long Amount);
}
