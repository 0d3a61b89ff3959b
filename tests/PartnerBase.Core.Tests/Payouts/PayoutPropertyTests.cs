using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PartnerBase.Core.Payouts;

namespace PartnerBase.Core.Tests.Payouts;

public class PayoutPropertyTests
{
    // Three users and the system, so steps often collide with the creator or the last editor.
    private static readonly Actor[] Actors = [Actor.User("u0"), Actor.User("u1"), Actor.User("u2"), Actor.System];

    // Under the default policy every approval is complete; dual approval has its own property (DualApprovalPropertyTests).
    private static readonly PayoutAction[] Actions = Enum.GetValues<PayoutAction>().Where(action => action is not (PayoutAction.Create or PayoutAction.RecordApproval)).ToArray();

    private static readonly HashSet<PayoutStatus> Reachable = ReachableFromPending();

    [Property(MaxTest = 500)]
    public Property Apply_RandomActionSequence_FollowsTableAndReplaysToCurrentState() =>
        Prop.ForAll(Runs(), Check);

    private static void Check(Run run)
    {
        var creator = run.Source == PayoutSource.CommissionRun ? Actor.System : Actors[run.CreatorIndex];
        var created = Payout.Create(TestPayouts.Draft(source: run.Source), creator, TestPayouts.Start);
        List<PayoutEvent> events = [created];
        var current = created.Payout;
        var deleted = false;
        var editors = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (step, index) in run.Steps.Select((step, index) => (step, index)))
        {
            var before = current;
            var (statusBefore, versionBefore) = (before.Status, before.Version);
            var actor = Actors[step.ActorIndex];
            var outcome = TestPayouts.Apply(before, step.Action, actor, step.Text, TestPayouts.Start.AddMinutes(index + 1));
            var inTable = PayoutTransitions.TryGetTarget(before.Status, step.Action, out var to);

            var forbidden = step.Action == PayoutAction.Approve && inTable && actor.Kind == ActorKind.User
                && ((before.Source == PayoutSource.Manual && before.CreatedBy == actor.Id) || editors.Contains(actor.Id));

            if (outcome.Succeeded)
            {
                var change = outcome.Value;
                Assert.True(inTable, $"{step.Action} succeeded from {before.Status}, which the table does not allow.");
                Assert.False(forbidden, $"{actor.Id} approved a payout created by {before.CreatedBy} and edited by {string.Join(", ", editors)}.");
                Assert.Equal(to, change.Payout.Status);
                Assert.Equal(before.Version + 1, change.Payout.Version);
                Assert.Equal(before.Status, change.PreviousStatus);
                Assert.Equal(step.Action, change.Action);
                events.Add(change);
                current = change.Payout;
                if (step.Action == PayoutAction.Update && actor.Kind == ActorKind.User)
                {
                    editors.Add(actor.Id);
                }
            }
            else
            {
                // Separation of duties applies only where the table allows approval; elsewhere it is invalid_transition.
                Assert.True(forbidden || !inTable, $"{step.Action} from {before.Status} is in the table but was refused: {outcome.Failure!.Detail}");
                Assert.Equal(forbidden ? FailureCode.SeparationOfDuties : FailureCode.InvalidTransition, outcome.Failure!.Code);
                Assert.Equal(statusBefore, before.Status);
                Assert.Equal(versionBefore, before.Version);
            }

            // One version per successful change and none per refusal: the version always counts the events.
            Assert.Equal(events.Count, current.Version);
            Assert.Contains(current.Status, Reachable);

            var replayed = Payout.Replay(events);
            if (outcome.Succeeded && step.Action == PayoutAction.Delete)
            {
                Assert.Null(replayed);
                deleted = true;
                break;
            }

            Assert.Equal(current, replayed);
        }

        if (!deleted)
        {
            Assert.Equal(current, Payout.Replay(events));
        }

        // The chain check must catch a lost or reordered event, whichever one it is.
        if (events.Count >= 3)
        {
            var index = 1 + (run.Pick % (events.Count - 2));

            var dropped = events.Where((_, i) => i != index).ToList();
            Assert.Throws<InvalidOperationException>(() => Payout.Replay(dropped));

            var swapped = events.ToList();
            (swapped[index], swapped[index + 1]) = (swapped[index + 1], swapped[index]);
            Assert.Throws<InvalidOperationException>(() => Payout.Replay(swapped));
        }
    }

    private static Arbitrary<Run> Runs()
    {
        var text = Gen.Frequency(
            (1, Gen.Constant<string?>(null)),
            (1, Gen.Constant<string?>("")),
            (3, ArbMap.Default.GeneratorFor<string>().Select(value => (string?)value)));

        // Delete and reject end a payout's life early, so they are drawn less often to let runs reach processing and beyond.
        var action = Gen.Frequency(Actions.Select(action => (action is PayoutAction.Delete or PayoutAction.Reject ? 1 : 4, Gen.Constant(action))));

        var step =
            from a in action
            from actor in Gen.Choose(0, Actors.Length - 1)
            from t in text
            select new Step(a, actor, t);

        var run =
            from creator in Gen.Choose(0, 2)
            from source in Gen.Elements(PayoutSource.Manual, PayoutSource.CommissionRun)
            from length in Gen.Choose(0, 30)
            from steps in Gen.ArrayOf(step, length)
            from pick in Gen.Choose(0, 1_000)
            select new Run(creator, source, steps, pick);

        return Arb.From(run, Shrink);
    }

    // Dropping one step at a time is enough to get a failing run down to the steps that matter.
    private static IEnumerable<Run> Shrink(Run run) =>
        Enumerable.Range(0, run.Steps.Length).Select(skip => run with { Steps = run.Steps.Where((_, i) => i != skip).ToArray() });

    private static HashSet<PayoutStatus> ReachableFromPending()
    {
        var reachable = new HashSet<PayoutStatus> { PayoutStatus.PendingApproval };
        var frontier = new Queue<PayoutStatus>(reachable);
        while (frontier.TryDequeue(out var from))
        {
            foreach (var (_, _, to) in PayoutTransitions.All.Where(entry => entry.From == from))
            {
                if (reachable.Add(to))
                {
                    frontier.Enqueue(to);
                }
            }
        }

        return reachable;
    }

    public sealed record Step(PayoutAction Action, int ActorIndex, string? Text);

    public sealed record Run(int CreatorIndex, PayoutSource Source, Step[] Steps, int Pick)
    {
        // FsCheck prints counterexamples with ToString; the default would show "Step[]".
        public override string ToString() =>
            $"Run {{ Creator = u{CreatorIndex}, Source = {Source}, Pick = {Pick}, Steps = [{string.Join(", ", Steps.AsEnumerable())}] }}";
    }
}
