namespace PartnerBase.Core.Commissions;

public static class Commission
{
    public const int BasisPointsPerUnit = 10_000;

    /// <summary>
    /// attributedAmount × rateBps / 10000, rounded half to even to the minor unit, in integer arithmetic
    /// (CONTRACT §5). Int128 so that no product of contract-sized inputs can overflow.
    /// </summary>
    public static long Line(long attributedAmount, int rateBps)
    {
        var product = (Int128)attributedAmount * rateBps;
        var quotient = product / BasisPointsPerUnit;
        var remainder = product % BasisPointsPerUnit;
        var twice = Int128.Abs(remainder) * 2;
        if (twice > BasisPointsPerUnit || (twice == BasisPointsPerUnit && quotient % 2 != 0))
        {
            quotient += Int128.Sign(product);
        }

        return (long)quotient;
    }
}
