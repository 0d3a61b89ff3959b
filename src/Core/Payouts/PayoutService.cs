using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Storage;

namespace PartnerBase.Core.Payouts;

/// <summary>The payout use cases: every change goes load → decide (the aggregate) → save with a version check.</summary>
public sealed class PayoutService(IPayoutStore store, TimeProvider timeProvider)
{
    public const int MaxBulkApprove = 500;

    // Enough parallel saves to hide store latency without flooding it (or the Cosmos RU budget).
    private const int BulkConcurrency = 8;

    // Attempts of a change without If-Match that keeps losing to concurrent changes before it answers 409.
    private const int MaxAttempts = 3;

    // Partners are never deleted, so one that was seen to exist always will: creating a payout for it
    // needs no read of the partner after the first.
    private readonly ConcurrentDictionary<(string OrgId, string PartnerId), byte> _knownPartners = new();

    public async Task<Outcome<Payout>> GetAsync(string orgId, string payoutId, string? partnerScope = null, CancellationToken cancellationToken = default)
    {
        var payout = await store.GetPayoutAsync(orgId, payoutId, cancellationToken);
        return payout is null || (partnerScope is not null && payout.PartnerId != partnerScope)
            ? Failure.NotFound("Payout", payoutId)
            : payout;
    }

    /// <summary>
    /// Creates a pending payout. With an idempotency key the id is derived from it, so a retry that lost
    /// its first response (even after a crash) finds the payout it already made instead of making another.
    /// </summary>
    public async Task<Outcome<Payout>> CreateAsync(NewPayout request, Actor actor, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        if (!_knownPartners.ContainsKey((request.OrgId, request.PartnerId)))
        {
            if (await store.GetPartnerAsync(request.OrgId, request.PartnerId, cancellationToken) is null)
            {
                return Failure.Validation("partnerId", $"Partner '{request.PartnerId}' does not exist in this organization.");
            }

            _knownPartners.TryAdd((request.OrgId, request.PartnerId), 0);
        }

        var id = idempotencyKey is null ? NewId("po_") : IdFromKey("po_", request.OrgId, idempotencyKey);
        var draft = new PayoutDraft(id, request.OrgId, request.PartnerId, request.Amount, request.Period, request.Notes, request.Metadata);
        var created = Payout.Create(draft, actor, timeProvider.GetUtcNow());
        if (await store.TrySaveChangeAsync(created, current: null, cancellationToken))
        {
            return created.Payout;
        }

        var existing = await store.GetPayoutAsync(request.OrgId, id, cancellationToken);
        return existing is not null && existing.CreatedBy == actor.Id
            ? existing
            : Failure.Conflict($"Payout '{id}' already exists.");
    }

    /// <summary>
    /// Applies one change decided by the aggregate. <paramref name="ifMatch"/> holds the versions the caller
    /// accepts (null: any). A concurrent change between load and save is never a lost update: with If-Match it is a
    /// conflict; without, the change is decided again on the newer state (a few times, then a conflict).
    /// </summary>
    public Task<Outcome<Payout>> ChangeAsync(
        string orgId,
        string payoutId,
        IReadOnlyCollection<long>? ifMatch,
        Func<Payout, DateTimeOffset, Outcome<PayoutEvent>> decide,
        CancellationToken cancellationToken = default) =>
        ChangeAsync(orgId, payoutId, ifMatch, decide, requirePayable: false, cancellationToken);

    /// <summary>Approves, or records a first approval, under the organization's approval policy as it is at this moment.</summary>
    public async Task<Outcome<Payout>> ApproveAsync(string orgId, string payoutId, IReadOnlyCollection<long>? ifMatch, Actor actor, CancellationToken cancellationToken = default)
    {
        var policy = await GetApprovalPolicyAsync(orgId, cancellationToken);
        return await ChangeAsync(orgId, payoutId, ifMatch, (payout, now) => payout.Approve(actor, policy, now), requirePayable: false, cancellationToken);
    }

    /// <summary>Moves a payout to processing, unless its partner is held by the payable gate (409 <c>payee_not_payable</c>).</summary>
    public Task<Outcome<Payout>> MarkProcessingAsync(string orgId, string payoutId, IReadOnlyCollection<long>? ifMatch, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(orgId, payoutId, ifMatch, (payout, now) => payout.MarkProcessing(actor, now), requirePayable: true, cancellationToken);

    /// <summary>Records a payout as paid, unless its partner is held by the payable gate (409 <c>payee_not_payable</c>).</summary>
    public Task<Outcome<Payout>> MarkPaidAsync(
        string orgId, string payoutId, IReadOnlyCollection<long>? ifMatch, Actor actor, string? paymentReference, CancellationToken cancellationToken = default) =>
        ChangeAsync(orgId, payoutId, ifMatch, (payout, now) => payout.MarkPaid(actor, paymentReference, now), requirePayable: true, cancellationToken);

    /// <summary>Whether the payable gate holds this partner's payouts back under the organization's current settings.</summary>
    public async Task<bool> IsPaymentBlockedAsync(string orgId, string partnerId, CancellationToken cancellationToken = default)
    {
        var partner = await store.GetPartnerAsync(orgId, partnerId, cancellationToken);
        if (partner is null)
        {
            return false;
        }

        var settings = await store.GetOrganizationAsync(orgId, cancellationToken) ?? OrganizationSettings.Default(orgId);
        return PayableGate.BlocksPayment(partner, settings);
    }

    private async Task<Outcome<Payout>> ChangeAsync(
        string orgId,
        string payoutId,
        IReadOnlyCollection<long>? ifMatch,
        Func<Payout, DateTimeOffset, Outcome<PayoutEvent>> decide,
        bool requirePayable,
        CancellationToken cancellationToken)
    {
        // Without If-Match the caller asked for the change on whatever the payout is now, so a concurrent change
        // means deciding again on the newer state (two approvers at once: the second sees the first's approval).
        for (var attempt = 1; ; attempt++)
        {
            var payout = await store.GetPayoutAsync(orgId, payoutId, cancellationToken);
            if (payout is null)
            {
                return Failure.NotFound("Payout", payoutId);
            }

            if (ifMatch is not null && !ifMatch.Contains(payout.Version))
            {
                return new Failure(FailureCode.PreconditionFailed, $"If-Match does not match the payout's current version {payout.Version}.");
            }

            var decision = decide(payout, timeProvider.GetUtcNow());
            if (!decision.Succeeded)
            {
                return decision.Failure!;
            }

            // Checked only for a legal move, so an illegal one still reads as invalid_transition.
            if (requirePayable && await IsPaymentBlockedAsync(orgId, payout.PartnerId, cancellationToken))
            {
                return new Failure(
                    FailureCode.PayeeNotPayable,
                    $"Partner '{payout.PartnerId}' has no verified tax form, which the organization requires before a payout moves to processing or paid.");
            }

            if (await store.TrySaveChangeAsync(decision.Value, payout, cancellationToken))
            {
                return decision.Value.Payout;
            }

            if (ifMatch is not null || attempt == MaxAttempts)
            {
                return Failure.Conflict("The payout was changed concurrently; re-read it and retry.");
            }
        }
    }

    /// <summary>
    /// Approves each payout independently under one reading of the approval policy; one that cannot be approved is
    /// reported, not fatal. A payout that got the first of two approvals comes back still pending.
    /// </summary>
    public async Task<IReadOnlyList<(string PayoutId, Outcome<Payout> Outcome)>> BulkApproveAsync(
        string orgId,
        IReadOnlyList<string> payoutIds,
        Actor actor,
        CancellationToken cancellationToken = default)
    {
        var policy = await GetApprovalPolicyAsync(orgId, cancellationToken);
        var ids = payoutIds.Distinct(StringComparer.Ordinal).ToArray();
        var outcomes = new Outcome<Payout>[ids.Length];
        var options = new ParallelOptions { MaxDegreeOfParallelism = BulkConcurrency, CancellationToken = cancellationToken };
        await Parallel.ForAsync(0, ids.Length, options, async (i, token) =>
            outcomes[i] = await ChangeAsync(orgId, ids[i], null, (payout, now) => payout.Approve(actor, policy, now), requirePayable: false, token));
        return ids.Zip(outcomes).ToList();
    }

    private async Task<ApprovalPolicy> GetApprovalPolicyAsync(string orgId, CancellationToken cancellationToken) =>
        (await store.GetOrganizationAsync(orgId, cancellationToken))?.ApprovalPolicy ?? ApprovalPolicy.Default;

    public async Task<IReadOnlyList<CurrencyStats>> GetStatsAsync(string orgId, PayoutFilter filter, CancellationToken cancellationToken = default)
    {
        var totals = await store.GetPayoutTotalsAsync(orgId, filter, cancellationToken);
        return totals
            .GroupBy(total => total.Currency)
            .OrderBy(group => group.Key.Code, StringComparer.Ordinal)
            .Select(group =>
            {
                Bucket Sum(params PayoutStatus[] statuses) => Bucket.Of(group.Where(total => statuses.Contains(total.Status)));
                return new CurrencyStats(
                    group.Key,
                    Sum(PayoutStatus.PendingApproval),
                    Sum(PayoutStatus.Approved),
                    Sum(PayoutStatus.Processing),
                    Sum(PayoutStatus.Paid),
                    Sum(PayoutStatus.Failed),
                    Sum(PayoutStatus.Rejected),
                    Total: Sum(PayoutStatus.PendingApproval, PayoutStatus.Approved, PayoutStatus.Processing, PayoutStatus.Paid, PayoutStatus.Failed));
            })
            .ToList();
    }

    public async Task<Outcome<PartnerPayoutSummary>> GetPartnerSummaryAsync(string orgId, string partnerId, CancellationToken cancellationToken = default)
    {
        if (await store.GetPartnerAsync(orgId, partnerId, cancellationToken) is null)
        {
            return Failure.NotFound("Partner", partnerId);
        }

        var stats = await GetStatsAsync(orgId, new PayoutFilter(PartnerId: partnerId), cancellationToken);
        var currencies = stats
            .Select(s => new PartnerCurrencySummary(s.Currency, s.Paid, s.PendingApproval + s.Approved + s.Processing, s.Failed))
            .ToList();
        var lastPaid = await store.GetLastPaidPayoutAsync(orgId, partnerId, cancellationToken);
        return new PartnerPayoutSummary(partnerId, currencies, lastPaid);
    }

    /// <summary>A new, time-ordered id: newer ids sort after older ones.</summary>
    public static string NewId(string prefix) => prefix + Guid.CreateVersion7().ToString("N");

    /// <summary>An id that the same organization and key always map to.</summary>
    public static string IdFromKey(string prefix, string orgId, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{orgId}\n{key}"));
        return prefix + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }
}

public sealed record NewPayout(
    string OrgId,
    string PartnerId,
    Money Amount,
    Period Period,
    string? Notes,
    IReadOnlyDictionary<string, string>? Metadata);

public readonly record struct Bucket(long Count, long Amount)
{
    public static Bucket Of(IEnumerable<PayoutTotal> totals) =>
        totals.Aggregate(default(Bucket), (sum, total) => sum + new Bucket(total.Count, total.Amount));

    public static Bucket operator +(Bucket left, Bucket right) => new(left.Count + right.Count, checked(left.Amount + right.Amount));
}

public sealed record CurrencyStats(
    Currency Currency,
    Bucket PendingApproval,
    Bucket Approved,
    Bucket Processing,
    Bucket Paid,
    Bucket Failed,
    Bucket Rejected,
    Bucket Total);

public sealed record PartnerCurrencySummary(Currency Currency, Bucket LifetimePaid, Bucket Pending, Bucket Failed);

public sealed record PartnerPayoutSummary(string PartnerId, IReadOnlyList<PartnerCurrencySummary> Currencies, Payout? LastPayout);
