namespace PartnerBase.Core.Partners;

/// <summary>A partner of an organization: who gets paid, at which commission rate, into which account.</summary>
/// <remarks><see cref="TaxFormStatus"/> defaults to missing, which is also what partners stored before it existed read as.</remarks>
public sealed record Partner(
    string Id,
    string OrgId,
    string Name,
    string Email,
    int CommissionRateBps,
    Currency? PayoutCurrency,
    string? PayoutAccountId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version,
    TaxFormStatus TaxFormStatus = TaxFormStatus.Missing)
{
    public const int MaxCommissionRateBps = 10_000;
}

/// <summary>Where the partner's tax form stands (CONTRACT §8).</summary>
public enum TaxFormStatus
{
    Missing,
    Submitted,
    Verified,
}
