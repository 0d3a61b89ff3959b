using PartnerBase.Core;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Demo;

/// <summary>
/// Development only: the organization <c>demo</c> with the original dashboard's five USD payouts
/// (2 pending approval = $22,000.00, 1 approved = $5,630.00, 2 paid = $21,370.00), made through the
/// same use cases as real ones so they have their audit trail. Safe to run on every start.
/// </summary>
public sealed class DemoSeeder(IPayoutStore store, PayoutService payouts, TimeProvider timeProvider) : IHostedService
{
    public const string OrgId = "demo";

    private static readonly Actor Manager = Actor.User("demo-manager");
    private static readonly Actor Approver = Actor.User("demo-approver");
    private static readonly Actor Finance = Actor.User("demo-finance");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        (string Id, string Name, int RateBps, string? Account)[] partners =
        [
            ("acme", "Acme Resellers", 1000, "acct_ok_acme"),
            ("globex", "Globex Partners", 1500, "acct_ok_globex"),
            ("initech", "Initech Referrals", 800, null),
        ];
        foreach (var (id, name, rate, account) in partners)
        {
            await store.TryCreatePartnerAsync(
                new Partner(id, OrgId, name, $"payouts@{id}.example", rate, Currency.Parse("USD"), account, now, now, 1), cancellationToken);
        }

        await store.RegisterOrganizationAsync(OrgId, cancellationToken);
        var usd = Currency.Parse("USD");
        var period = Period.Month(now.Year, now.Month);
        await SeedAsync("demo-1", "acme", 1_250_000, PayoutStatus.PendingApproval);
        await SeedAsync("demo-2", "globex", 950_000, PayoutStatus.PendingApproval);
        await SeedAsync("demo-3", "initech", 563_000, PayoutStatus.Approved);
        await SeedAsync("demo-4", "acme", 1_500_000, PayoutStatus.Paid);
        await SeedAsync("demo-5", "globex", 637_000, PayoutStatus.Paid);

        async Task SeedAsync(string key, string partnerId, long amount, PayoutStatus status)
        {
            var created = await payouts.CreateAsync(
                new NewPayout(OrgId, partnerId, new Money(amount, usd), period, "Seeded demo payout", null), Manager, key, cancellationToken);
            var payout = created.Value;
            if (payout.Version > 1)
            {
                return;
            }

            if (status is PayoutStatus.Approved or PayoutStatus.Paid)
            {
                await payouts.ApproveAsync(OrgId, payout.Id, null, Approver, cancellationToken);
            }

            if (status is PayoutStatus.Paid)
            {
                await payouts.ChangeAsync(OrgId, payout.Id, null, (p, at) => p.MarkPaid(Finance, $"demo_tr_{key}", at), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
