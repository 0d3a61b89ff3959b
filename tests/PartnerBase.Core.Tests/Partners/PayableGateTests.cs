using PartnerBase.Core.Organizations;
using PartnerBase.Core.Partners;

namespace PartnerBase.Core.Tests.Partners;

public sealed class PayableGateTests
{
    [Theory]
    [InlineData(false, TaxFormStatus.Missing, false, null, new PayableBlocker[0])]
    [InlineData(true, TaxFormStatus.Missing, false, "acct_1", new[] { PayableBlocker.TaxFormNotVerified })]
    [InlineData(true, TaxFormStatus.Submitted, false, "acct_1", new[] { PayableBlocker.TaxFormNotVerified })]
    [InlineData(true, TaxFormStatus.Verified, false, null, new PayableBlocker[0])]
    [InlineData(false, TaxFormStatus.Missing, true, null, new[] { PayableBlocker.NoPayoutAccount })]
    [InlineData(false, TaxFormStatus.Missing, true, "", new[] { PayableBlocker.NoPayoutAccount })]
    [InlineData(false, TaxFormStatus.Missing, true, "acct_1", new PayableBlocker[0])]
    [InlineData(true, TaxFormStatus.Submitted, true, null, new[] { PayableBlocker.TaxFormNotVerified, PayableBlocker.NoPayoutAccount })]
    public void Blockers_ForEachSettingAndPartnerState_ListsExactlyWhatApplies(
        bool requireVerifiedTaxForm, TaxFormStatus taxFormStatus, bool automaticPayments, string? account, PayableBlocker[] expected)
    {
        var settings = OrganizationSettings.Default("org") with { RequireVerifiedTaxForm = requireVerifiedTaxForm, AutomaticPayments = automaticPayments };
        var partner = Partner(taxFormStatus, account);

        Assert.Equal(expected, PayableGate.Blockers(partner, settings));
        Assert.Equal(expected.Contains(PayableBlocker.TaxFormNotVerified), PayableGate.BlocksPayment(partner, settings));
    }

    [Fact]
    public void BlocksPayment_WithOnlyNoPayoutAccount_IsFalse()
    {
        var settings = OrganizationSettings.Default("org") with { AutomaticPayments = true };

        Assert.False(PayableGate.BlocksPayment(Partner(TaxFormStatus.Missing, account: null), settings));
    }

    [Fact]
    public void Defaults_AreMissingTaxFormAndNoRequirement()
    {
        var partner = new Partner("pt_1", "org", "P", "p@example.com", 100, null, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 1);

        Assert.Equal(TaxFormStatus.Missing, partner.TaxFormStatus);
        Assert.False(OrganizationSettings.Default("org").RequireVerifiedTaxForm);
    }

    private static Partner Partner(TaxFormStatus taxFormStatus, string? account) =>
        new("pt_1", "org", "P", "p@example.com", 100, null, account, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 1, taxFormStatus);
}
