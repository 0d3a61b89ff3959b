using PartnerBase.Core.Organizations;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;

namespace PartnerBase.Core.Commissions;

/// <summary>
/// Attribution ingestion and commission runs (CONTRACT §5), settling each attribution into at most one payout, ever.
/// <para>
/// Both hold the organization's commission lease (<see cref="CommissionState"/>), so nothing changes between a run's
/// plan and its settlement, and concurrent runs take turns. A run is resumable: (1) it plans — streaming the due
/// attributions once, summing commission per partner and currency (memory grows with partners, not attributions) —
/// and records the plan, with deterministic payout ids and the rates used, before anything is claimed; (2) it claims
/// each due attribution into its group's payout with a compare-and-swap; (3) it creates each payout with the exact
/// sum of the lines claimed into it (creation is idempotent by id), and approves it when the planned approval policy
/// says so. Attributions still in the organization's holding period wait for a later run and are reported as held.
/// The plan records the holding period and approval policy it was made under. A crash anywhere leaves the plan recorded, and
/// whoever takes the lease next finishes it first. A lease whose holder died expires and can be taken over.
/// </para>
/// </summary>
public sealed class CommissionService(IPayoutStore store, TimeProvider timeProvider)
{
    public const int MaxAttributionsPerRequest = 1_000;

    private static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LeaseWait = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan LeasePoll = TimeSpan.FromMilliseconds(50);
    private const int ClaimsPerLeaseRenewal = 500;

    public async Task<Outcome<IngestResult>> IngestAsync(string orgId, IReadOnlyList<AttributionInput> inputs, CancellationToken cancellationToken = default)
    {
        var partnerIds = inputs.Select(i => i.PartnerId).ToHashSet(StringComparer.Ordinal);
        var known = (await store.GetPartnersAsync(orgId, partnerIds, cancellationToken)).Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        var unknown = partnerIds.Where(id => !known.Contains(id)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            return Failure.Validation("attributions", $"Unknown partners: {string.Join(", ", unknown)}.");
        }

        return await WithLeaseAsync(orgId, async lease =>
        {
            var now = timeProvider.GetUtcNow();
            var existing = (await store.GetAttributionsAsync(orgId, inputs.Select(i => i.Id).ToList(), cancellationToken)).ToDictionary(a => a.Id, StringComparer.Ordinal);
            var writes = new List<(Attribution Next, Attribution? Current)>();
            var conflicts = new List<string>();
            var unchanged = 0;
            foreach (var input in inputs)
            {
                var proposed = new Attribution(input.Id, orgId, input.PartnerId, input.DealId, input.AttributedAmount, input.ClosedAt, input.Status, null, null, now, 1);
                if (!existing.TryGetValue(input.Id, out var current))
                {
                    writes.Add((proposed, null));
                }
                else if (current.SameFactsAs(proposed))
                {
                    unchanged++;
                }
                else if (current.State is AttributionState.Open or AttributionState.Void)
                {
                    // Never settled: its facts may still change, including a reversal (it will never be paid).
                    writes.Add((proposed with { Version = current.Version + 1 }, current));
                }
                else if (current.State == AttributionState.Settled && input.Status == AttributionStatus.Reversed
                         && current.SameFactsAs(proposed with { Status = AttributionStatus.Won }))
                {
                    writes.Add((current with { Status = AttributionStatus.Reversed, UpdatedAt = now, Version = current.Version + 1 }, current));
                }
                else
                {
                    conflicts.Add(input.Id);
                }
            }

            if (conflicts.Count > 0)
            {
                return (Outcome<IngestResult>)Failure.Conflict(
                    $"Settled attributions can only be reversed, not changed: {string.Join(", ", conflicts.Take(20))}{(conflicts.Count > 20 ? ", …" : "")}.");
            }

            foreach (var (next, current) in writes)
            {
                if (!await store.TrySaveAttributionAsync(next, current, cancellationToken))
                {
                    throw new InvalidOperationException($"Attribution {next.Id} changed while the commission lease was held.");
                }

                await lease.RenewIfDueAsync(cancellationToken);
            }

            var created = writes.Count(w => w.Current is null);
            return new IngestResult(created, writes.Count - created, unchanged);
        }, cancellationToken);
    }

    public async Task<Outcome<CommissionRunResult>> RunAsync(string orgId, Period period, bool dryRun, CancellationToken cancellationToken = default)
    {
        if (period.Start > timeProvider.GetUtcNow())
        {
            return Failure.Validation("period", $"{period} has not started yet.");
        }

        if (dryRun)
        {
            // An interrupted run is finished by the next real run before anything else; a preview cannot do that
            // without writing, so it refuses rather than show amounts the real run would not pay.
            if ((await store.GetCommissionStateAsync(orgId, cancellationToken))?.Pending is { } interrupted)
            {
                return Failure.Conflict($"The {interrupted.Period} commission run was interrupted; run it for real to finish it, then preview again.");
            }

            var preview = await PlanAsync(orgId, period, lease: null, cancellationToken);
            return new CommissionRunResult(
                period, true, preview.ToPay.Select(g => new RunPayout(null, g.PartnerId, g.Currency, g.Commission, g.Lines)).ToList(), preview.CarriedForward, preview.Held);
        }

        return await WithLeaseAsync(orgId, async lease =>
        {
            var payouts = lease.Resumed is { } resumed && resumed.Run.Period == period ? resumed.Payouts.ToList() : [];
            var plan = await PlanAsync(orgId, period, lease, cancellationToken);
            if (plan.ToPay.Count > 0)
            {
                var runId = PayoutService.NewId("run_");
                var run = new PlannedRun(
                    runId,
                    period,
                    plan.ToPay
                        .Select(g => new PlannedPayout(PayoutService.IdFromKey("po_", orgId, $"{runId}|{g.PartnerId}|{g.Currency.Code}"), g.PartnerId, g.Currency, g.RateBps))
                        .ToList(),
                    plan.Settings.HoldDays,
                    plan.Settings.ApprovalPolicy);
                await lease.UpdateAsync(state => state with { Pending = run }, cancellationToken);
                payouts.AddRange(await SettleAsync(orgId, run, lease, cancellationToken));
                await lease.UpdateAsync(state => state with { Pending = null }, cancellationToken);
            }

            return (Outcome<CommissionRunResult>)new CommissionRunResult(period, false, payouts, plan.CarriedForward, plan.Held);
        }, cancellationToken);
    }

    private async Task<Plan> PlanAsync(string orgId, Period period, Lease? lease, CancellationToken cancellationToken)
    {
        var settings = await store.GetOrganizationAsync(orgId, cancellationToken) ?? OrganizationSettings.Default(orgId);
        var rates = new Dictionary<string, int>(StringComparer.Ordinal);
        var totals = new Dictionary<(string PartnerId, Currency Currency), (long Commission, int Lines)>();
        var held = new Dictionary<(string PartnerId, Currency Currency), (long Commission, int Lines, DateTimeOffset PayableFrom)>();
        await foreach (var attribution in store.GetDueAttributionsAsync(orgId, period.End, cancellationToken))
        {
            var rate = await RateAsync(orgId, attribution.PartnerId, rates, cancellationToken);
            var key = (attribution.PartnerId, attribution.AttributedAmount.Currency);
            if (attribution.IsHeldAt(period.End, settings.HoldDays))
            {
                var (heldCommission, heldLines, payableFrom) = held.GetValueOrDefault(key, (0, 0, DateTimeOffset.MaxValue));
                var from = attribution.PayableFrom(settings.HoldDays);
                held[key] = (checked(heldCommission + LineOf(attribution, rate)), heldLines + 1, from < payableFrom ? from : payableFrom);
            }
            else
            {
                var (commission, lines) = totals.GetValueOrDefault(key);
                totals[key] = (checked(commission + LineOf(attribution, rate)), lines + 1);
            }

            if (lease is not null)
            {
                // A large organization's scan outlasts the lease unless it is renewed on the way.
                await lease.RenewIfDueAsync(cancellationToken);
            }
        }

        var toPay = new List<PlannedGroup>();
        var carried = new List<CarriedForward>();
        foreach (var ((partnerId, currency), (commission, lines)) in totals.OrderBy(t => t.Key.PartnerId, StringComparer.Ordinal).ThenBy(t => t.Key.Currency.Code, StringComparer.Ordinal))
        {
            // A total beyond what one payout may carry is carried forward, never claimed into a payout that could not be made.
            if (commission > 0 && commission >= settings.MinimumPayouts.GetValueOrDefault(currency.Code) && commission <= Money.MaxPayoutAmount)
            {
                toPay.Add(new PlannedGroup(partnerId, currency, rates[partnerId], commission, lines));
            }
            else
            {
                carried.Add(new CarriedForward(partnerId, currency, commission));
            }
        }

        var heldList = held
            .OrderBy(h => h.Key.PartnerId, StringComparer.Ordinal).ThenBy(h => h.Key.Currency.Code, StringComparer.Ordinal)
            .Select(h => new HeldCommission(h.Key.PartnerId, h.Key.Currency, h.Value.Commission, h.Value.Lines, h.Value.PayableFrom))
            .ToList();
        return new Plan(settings, toPay, carried, heldList);
    }

    private async Task<IReadOnlyList<RunPayout>> SettleAsync(string orgId, PlannedRun run, Lease lease, CancellationToken cancellationToken)
    {
        var groups = run.Payouts.ToDictionary(p => (p.PartnerId, p.Currency));
        await foreach (var attribution in store.GetDueAttributionsAsync(orgId, run.Period.End, cancellationToken))
        {
            if (attribution.IsHeldAt(run.Period.End, run.HoldDays)
                || !groups.TryGetValue((attribution.PartnerId, attribution.AttributedAmount.Currency), out var planned))
            {
                continue;
            }

            // A reversal takes back what was paid, at the rate it was paid at.
            var rate = attribution.State == AttributionState.Open ? planned.RateBps : attribution.Settlement!.RateBps;
            var line = new Settlement(planned.PayoutId, LineOf(attribution, planned.RateBps), rate);
            var claimed = attribution.State == AttributionState.Open
                ? attribution with { Settlement = line, Version = attribution.Version + 1 }
                : attribution with { ReversalSettlement = line, Version = attribution.Version + 1 };
            if (!await store.TrySaveAttributionAsync(claimed, attribution, cancellationToken))
            {
                throw new InvalidOperationException($"Attribution {attribution.Id} changed while the commission lease was held.");
            }

            await lease.RenewIfDueAsync(cancellationToken);
        }

        var payouts = new List<RunPayout>();
        foreach (var planned in run.Payouts)
        {
            var (commission, lines) = await store.GetSettledLinesAsync(orgId, planned.PayoutId, cancellationToken);
            if (lines == 0 || commission <= 0)
            {
                // Unreachable while the lease keeps attributions still between plan and claims.
                continue;
            }

            var draft = new PayoutDraft(
                planned.PayoutId, orgId, planned.PartnerId, new Money(commission, planned.Currency), run.Period,
                $"Commission run {run.RunId}", null, PayoutSource.CommissionRun, Reason: run.RunId, LineCount: lines);
            // False when it was created before a crash: creation is idempotent by id.
            var created = Payout.Create(draft, Actor.System, timeProvider.GetUtcNow());
            var isNew = await store.TrySaveChangeAsync(created, null, cancellationToken);
            if (run.ApprovalPolicy is { } policy && policy.ApprovesAutomatically(created.Payout.Amount))
            {
                await ApproveAutomaticallyAsync(isNew ? created.Payout : await store.GetPayoutAsync(orgId, planned.PayoutId, cancellationToken), policy, cancellationToken);
            }

            payouts.Add(new RunPayout(planned.PayoutId, planned.PartnerId, planned.Currency, commission, lines));
        }

        return payouts;
    }

    /// <summary>
    /// The second step of creating a payout below <c>autoApproveBelow</c>; a run finished after a crash between the
    /// two steps takes it here again. Only a payout still untouched since creation is approved, with a version check,
    /// so it ends approved exactly once and never overrides what a user did with it meanwhile.
    /// </summary>
    private async Task ApproveAutomaticallyAsync(Payout? payout, ApprovalPolicy policy, CancellationToken cancellationToken)
    {
        if (payout?.ApproveAutomatically(policy, timeProvider.GetUtcNow()) is { Succeeded: true } approval)
        {
            await store.TrySaveChangeAsync(approval.Value, payout, cancellationToken);
        }
    }

    private async Task<int> RateAsync(string orgId, string partnerId, Dictionary<string, int> rates, CancellationToken cancellationToken)
    {
        if (!rates.TryGetValue(partnerId, out var rate))
        {
            rate = (await store.GetPartnerAsync(orgId, partnerId, cancellationToken))?.CommissionRateBps
                ?? throw new InvalidOperationException($"Attribution of unknown partner {partnerId} in {orgId}.");
            rates[partnerId] = rate;
        }

        return rate;
    }

    /// <summary>A positive line for an open attribution; the settled commission, negated, for a reversal.</summary>
    private static long LineOf(Attribution attribution, int rateBps) => attribution.State == AttributionState.Open
        ? Commission.Line(attribution.AttributedAmount.MinorUnits, rateBps)
        : -attribution.Settlement!.Commission;

    private async Task<Outcome<T>> WithLeaseAsync<T>(string orgId, Func<Lease, Task<Outcome<T>>> work, CancellationToken cancellationToken)
    {
        var lease = await Lease.AcquireAsync(store, timeProvider, orgId, cancellationToken);
        if (lease is null)
        {
            return Failure.Conflict("Another commission run or attribution import for this organization is still in progress; retry later.");
        }

        try
        {
            if (lease.State.Pending is { } pending)
            {
                lease.Resumed = (pending, await SettleAsync(orgId, pending, lease, cancellationToken));
                await lease.UpdateAsync(state => state with { Pending = null }, cancellationToken);
            }

            return await work(lease);
        }
        finally
        {
            await lease.ReleaseAsync();
        }
    }

    private sealed record Plan(OrganizationSettings Settings, IReadOnlyList<PlannedGroup> ToPay, IReadOnlyList<CarriedForward> CarriedForward, IReadOnlyList<HeldCommission> Held);

    private sealed record PlannedGroup(string PartnerId, Currency Currency, int RateBps, long Commission, int Lines);

    /// <summary>The organization's commission lease, held by this instance; every update renews it.</summary>
    private sealed class Lease(IPayoutStore store, TimeProvider timeProvider, CommissionState state)
    {
        private int _sinceRenewal;

        public CommissionState State { get; private set; } = state;

        public (PlannedRun Run, IReadOnlyList<RunPayout> Payouts)? Resumed { get; set; }

        public static async Task<Lease?> AcquireAsync(IPayoutStore store, TimeProvider timeProvider, string orgId, CancellationToken cancellationToken)
        {
            var owner = Guid.NewGuid().ToString("N");
            var giveUpAt = timeProvider.GetUtcNow() + LeaseWait;
            while (true)
            {
                var now = timeProvider.GetUtcNow();
                var current = await store.GetCommissionStateAsync(orgId, cancellationToken) ?? CommissionState.Initial(orgId);
                if (current.LeaseOwner is null || current.LeaseUntil <= now)
                {
                    var held = current with { LeaseOwner = owner, LeaseUntil = now + LeaseTime, Version = current.Version + 1 };
                    if (await store.TrySaveCommissionStateAsync(held, cancellationToken))
                    {
                        return new Lease(store, timeProvider, held);
                    }
                }
                else if (now >= giveUpAt)
                {
                    return null;
                }
                else
                {
                    await Task.Delay(LeasePoll, timeProvider, cancellationToken);
                }
            }
        }

        public async Task UpdateAsync(Func<CommissionState, CommissionState> change, CancellationToken cancellationToken)
        {
            var next = change(State) with { LeaseUntil = timeProvider.GetUtcNow() + LeaseTime, Version = State.Version + 1 };
            if (!await store.TrySaveCommissionStateAsync(next, cancellationToken))
            {
                throw new InvalidOperationException($"The commission lease of {State.OrgId} was lost (it expired and was taken over).");
            }

            State = next;
            _sinceRenewal = 0;
        }

        public Task RenewIfDueAsync(CancellationToken cancellationToken) =>
            ++_sinceRenewal >= ClaimsPerLeaseRenewal ? UpdateAsync(state => state, cancellationToken) : Task.CompletedTask;

        public async Task ReleaseAsync()
        {
            var released = State with { LeaseOwner = null, LeaseUntil = DateTimeOffset.MinValue, Version = State.Version + 1 };
            // If this fails the lease simply expires.
            await store.TrySaveCommissionStateAsync(released, CancellationToken.None);
        }
    }
}

public sealed record AttributionInput(string Id, string PartnerId, string DealId, Money AttributedAmount, DateTimeOffset ClosedAt, AttributionStatus Status);

public sealed record IngestResult(int Created, int Updated, int Unchanged);

public sealed record CommissionRunResult(
    Period Period, bool DryRun, IReadOnlyList<RunPayout> Payouts, IReadOnlyList<CarriedForward> CarriedForward, IReadOnlyList<HeldCommission> Held);

public sealed record RunPayout(string? PayoutId, string PartnerId, Currency Currency, long Amount, int AttributionCount);

public sealed record CarriedForward(string PartnerId, Currency Currency, long Amount);

/// <summary>A partner's commission still in its holding period: payable from the earliest attribution's closedAt + holdDays.</summary>
public sealed record HeldCommission(string PartnerId, Currency Currency, long Amount, int AttributionCount, DateTimeOffset PayableFrom);
