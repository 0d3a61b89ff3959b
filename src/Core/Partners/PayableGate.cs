using PartnerBase.Core.Organizations;

namespace PartnerBase.Core.Partners;

/// <summary>Why a partner cannot be paid right now (CONTRACT §8).</summary>
public enum PayableBlocker
{
    TaxFormNotVerified,
    NoPayoutAccount,
}

/// <summary>The payable gate: what stands between a partner and a payment under the organization's settings.</summary>
public static class PayableGate
{
    /// <summary>The blockers, in a fixed order; empty when the partner is payable.</summary>
    public static IReadOnlyList<PayableBlocker> Blockers(Partner partner, OrganizationSettings settings)
    {
        var blockers = new List<PayableBlocker>(2);
        if (settings.RequireVerifiedTaxForm && partner.TaxFormStatus != TaxFormStatus.Verified)
        {
            blockers.Add(PayableBlocker.TaxFormNotVerified);
        }

        if (settings.AutomaticPayments && string.IsNullOrEmpty(partner.PayoutAccountId))
        {
            blockers.Add(PayableBlocker.NoPayoutAccount);
        }

        return blockers;
    }

    /// <summary>
    /// Whether a payout of this partner may move to processing or paid. Only the tax form holds payouts back: a
    /// missing account only means finance pays by hand instead of the payment provider.
    /// </summary>
    public static bool BlocksPayment(Partner partner, OrganizationSettings settings) =>
        Blockers(partner, settings).Contains(PayableBlocker.TaxFormNotVerified);
}
