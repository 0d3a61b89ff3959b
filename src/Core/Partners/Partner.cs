namespace PartnerBase.Core.Partners;

/// <summary>A partner of an organization: who gets paid, at which commission rate, into which account.</summary>
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
    long Version)
{
    public const int MaxCommissionRateBps = 10_000;
}
