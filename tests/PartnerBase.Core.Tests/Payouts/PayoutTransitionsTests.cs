using PartnerBase.Core.Payouts;

namespace PartnerBase.Core.Tests.Payouts;

public class PayoutTransitionsTests
{
    private static readonly Actor Creator = Actor.User("alice");
    private static readonly Actor Approver = Actor.User("bob");
    private static readonly Actor Finance = Actor.User("carol");

    // Neither creator nor editor of any payout here, so separation of duties never hides the table's answer.
    private static readonly Actor Outsider = Actor.User("dave");

    // CONTRACT §3 written out by hand rather than read from PayoutTransitions: a wrong entry there must fail here.
    private static readonly Dictionary<(PayoutStatus From, PayoutAction Action), PayoutStatus> Allowed = new()
    {
        [(PayoutStatus.PendingApproval, PayoutAction.Update)] = PayoutStatus.PendingApproval,
        [(PayoutStatus.PendingApproval, PayoutAction.Delete)] = PayoutStatus.PendingApproval,
        [(PayoutStatus.PendingApproval, PayoutAction.Approve)] = PayoutStatus.Approved,
        // CONTRACT §8: the first of two approvals leaves the payout pending.
        [(PayoutStatus.PendingApproval, PayoutAction.RecordApproval)] = PayoutStatus.PendingApproval,
        [(PayoutStatus.PendingApproval, PayoutAction.Reject)] = PayoutStatus.Rejected,
        [(PayoutStatus.Approved, PayoutAction.MarkProcessing)] = PayoutStatus.Processing,
        [(PayoutStatus.Failed, PayoutAction.MarkProcessing)] = PayoutStatus.Processing,
        [(PayoutStatus.Approved, PayoutAction.MarkPaid)] = PayoutStatus.Paid,
        [(PayoutStatus.Processing, PayoutAction.MarkPaid)] = PayoutStatus.Paid,
        [(PayoutStatus.Processing, PayoutAction.MarkFailed)] = PayoutStatus.Failed,
    };

    // CONTRACT §6 event types without their prefix; consumers filter on these names.
    private static readonly Dictionary<PayoutAction, string> EventTypes = new()
    {
        [PayoutAction.Update] = "payout.updated",
        [PayoutAction.Delete] = "payout.deleted",
        [PayoutAction.Approve] = "payout.approved",
        [PayoutAction.RecordApproval] = "payout.approval_recorded",
        [PayoutAction.Reject] = "payout.rejected",
        [PayoutAction.MarkProcessing] = "payout.processing",
        [PayoutAction.MarkPaid] = "payout.paid",
        [PayoutAction.MarkFailed] = "payout.failed",
    };

    public static TheoryData<PayoutStatus, PayoutAction> EveryStatusAndAction()
    {
        var data = new TheoryData<PayoutStatus, PayoutAction>();
        foreach (var status in Enum.GetValues<PayoutStatus>())
        {
            foreach (var action in Enum.GetValues<PayoutAction>().Where(action => action != PayoutAction.Create))
            {
                data.Add(status, action);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryStatusAndAction))]
    public void Apply_EveryStatusAndAction_FollowsContractTable(PayoutStatus from, PayoutAction action)
    {
        var history = HistoryEndingIn(from);
        var payout = history[^1].Payout;
        Assert.Equal(from, payout.Status);
        var version = payout.Version;

        var outcome = TestPayouts.Apply(payout, action, Outsider, "text", TestPayouts.Start.AddDays(1));

        if (Allowed.TryGetValue((from, action), out var to))
        {
            Assert.True(outcome.Succeeded, outcome.Failure?.Detail);
            var change = outcome.Value;
            Assert.Equal(to, change.Payout.Status);
            Assert.Equal(version + 1, change.Payout.Version);
            Assert.Equal(action, change.Action);
            Assert.Equal(from, change.PreviousStatus);
            Assert.Equal(version + 1, change.Sequence);
            Assert.Equal(EventTypes[action], change.Type);
            Assert.Equal(payout.Id, change.PayoutId);
            Assert.Same(Outsider, change.Actor);

            // A delete keeps the status in its event but removes the payout from the folded state.
            var replayed = Payout.Replay([.. history, change]);
            if (action == PayoutAction.Delete)
            {
                Assert.Null(replayed);
            }
            else
            {
                Assert.Equal(change.Payout, replayed);
            }
        }
        else
        {
            Assert.False(outcome.Succeeded);
            Assert.Equal(FailureCode.InvalidTransition, outcome.Failure!.Code);
        }

        Assert.Equal(from, payout.Status);
        Assert.Equal(version, payout.Version);
    }

    [Fact]
    public void All_ComparedWithContractTable_HasExactlyTheContractEntries()
    {
        var expected = Allowed.Select(entry => (entry.Key.From, entry.Key.Action, To: entry.Value)).OrderBy(entry => entry).ToList();

        var actual = PayoutTransitions.All.OrderBy(entry => entry).ToList();

        Assert.Equal(expected, actual);
    }

    /// <summary>The events that lead a fresh payout to <paramref name="status"/> through the aggregate's own methods.</summary>
    private static List<PayoutEvent> HistoryEndingIn(PayoutStatus status)
    {
        List<PayoutEvent> events = [Payout.Create(TestPayouts.Draft(), Creator, TestPayouts.Start)];

        void Then(Func<Payout, DateTimeOffset, Outcome<PayoutEvent>> step) =>
            events.Add(step(events[^1].Payout, TestPayouts.Start.AddMinutes(events.Count)).Value);

        switch (status)
        {
            case PayoutStatus.PendingApproval:
                break;
            case PayoutStatus.Rejected:
                Then((payout, now) => payout.Reject(Approver, "duplicate", now));
                break;
            case PayoutStatus.Approved:
                Then((payout, now) => payout.Approve(Approver, ApprovalPolicy.Default, now));
                break;
            case PayoutStatus.Processing:
                Then((payout, now) => payout.Approve(Approver, ApprovalPolicy.Default, now));
                Then((payout, now) => payout.MarkProcessing(Finance, now));
                break;
            case PayoutStatus.Paid:
                Then((payout, now) => payout.Approve(Approver, ApprovalPolicy.Default, now));
                Then((payout, now) => payout.MarkProcessing(Finance, now));
                Then((payout, now) => payout.MarkPaid(Finance, "tr_1", now));
                break;
            case PayoutStatus.Failed:
                Then((payout, now) => payout.Approve(Approver, ApprovalPolicy.Default, now));
                Then((payout, now) => payout.MarkProcessing(Finance, now));
                Then((payout, now) => payout.MarkFailed(Finance, "account_closed", "Account closed", now));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(status), status, "No path to this status is known to the test.");
        }

        return events;
    }
}
