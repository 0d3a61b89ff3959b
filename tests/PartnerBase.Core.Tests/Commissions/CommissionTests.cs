using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PartnerBase.Core.Commissions;

namespace PartnerBase.Core.Tests.Commissions;

public class CommissionTests
{
    [Theory]
    [InlineData(100_005, 1_000, 10_000)]   // 10000.5: a tie, down to the even 10000
    [InlineData(100_015, 1_000, 10_002)]   // 10001.5: a tie, up to the even 10002
    [InlineData(100_025, 1_000, 10_002)]   // 10002.5: down
    [InlineData(100_035, 1_000, 10_004)]   // 10003.5: up
    [InlineData(100_006, 1_000, 10_001)]   // 10000.6: not a tie, nearest
    [InlineData(100_004, 1_000, 10_000)]   // 10000.4: not a tie, nearest
    [InlineData(1, 5_000, 0)]              // 0.5: a tie, to the even 0
    [InlineData(3, 5_000, 2)]              // 1.5: a tie, to the even 2
    [InlineData(1, 5_001, 1)]              // 0.5001: just past the tie
    [InlineData(1, 4_999, 0)]              // 0.4999: just short of it
    [InlineData(12_345, 2_500, 3_086)]     // 3086.25
    [InlineData(12_347, 2_500, 3_087)]     // 3086.75
    public void Line_Rounding_IsHalfToEven(long attributedAmount, int rateBps, long expected) =>
        Assert.Equal(expected, Commission.Line(attributedAmount, rateBps));

    [Theory]
    [InlineData(1)]
    [InlineData(999_999)]
    [InlineData(1_000_000_000_000)]
    [InlineData(long.MaxValue)]
    public void Line_ZeroRate_IsZero(long attributedAmount) =>
        Assert.Equal(0, Commission.Line(attributedAmount, 0));

    [Theory]
    [InlineData(1)]
    [InlineData(100_005)]
    [InlineData(1_000_000_000_000)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void Line_FullRate_IsTheAmount(long attributedAmount) =>
        Assert.Equal(attributedAmount, Commission.Line(attributedAmount, Commission.BasisPointsPerUnit));

    [Theory]
    [InlineData(1_000_000_000_000, 10_000, 1_000_000_000_000)]
    [InlineData(1_000_000_000_000, 9_999, 999_900_000_000)]
    [InlineData(999_999_999_999, 1, 100_000_000)]                           // 99999999.9999
    [InlineData(999_999_994_999, 1, 99_999_999)]                            // 99999999.4999, just short of a tie
    [InlineData(1_000_000_005_000, 1, 100_000_000)]                         // 100000000.5: a tie, to the even
    [InlineData(1_000_000_015_000, 1, 100_000_002)]                         // 100000001.5: a tie, to the even
    [InlineData(long.MaxValue, 5_000, 4_611_686_018_427_387_904)]           // ...903.5: a tie, to the even 904
    [InlineData(long.MaxValue, 9_999, 9_222_449_699_651_090_329)]           // the product needs more than 64 bits
    [InlineData(long.MinValue, 5_000, -4_611_686_018_427_387_904)]
    public void Line_LargeAmounts_DoNotOverflow(long attributedAmount, int rateBps, long expected) =>
        Assert.Equal(expected, Commission.Line(attributedAmount, rateBps));

    [Theory]
    [InlineData(100_005, 1_000)]
    [InlineData(100_015, 1_000)]
    [InlineData(100_006, 1_000)]
    [InlineData(3, 5_000)]
    [InlineData(1_000_000_015_000, 1)]
    [InlineData(long.MaxValue, 5_000)]
    [InlineData(long.MaxValue, 9_999)]
    public void Line_NegativeAmount_IsTheNegatedLine(long attributedAmount, int rateBps) =>
        Assert.Equal(-Commission.Line(attributedAmount, rateBps), Commission.Line(-attributedAmount, rateBps));

    [Theory]
    [InlineData(-100_005, 1_000, -10_000)]
    [InlineData(-100_015, 1_000, -10_002)]
    [InlineData(-1, 5_000, 0)]
    [InlineData(-3, 5_000, -2)]
    public void Line_NegativeTies_RoundHalfToEvenToo(long attributedAmount, int rateBps, long expected) =>
        Assert.Equal(expected, Commission.Line(attributedAmount, rateBps));

    [Property(MaxTest = 2_000)]
    public Property Line_AnyAmountAndRate_MatchesDecimalBankersRounding() =>
        Prop.ForAll(Amounts().ToArbitrary(), Gen.Choose(0, Commission.BasisPointsPerUnit).ToArbitrary(), (amount, rateBps) =>
        {
            // decimal holds every product of a long and a rate exactly, so it is an independent oracle.
            var expected = (long)Math.Round(amount * (decimal)rateBps / Commission.BasisPointsPerUnit, MidpointRounding.ToEven);
            Assert.Equal(expected, Commission.Line(amount, rateBps));
            Assert.Equal(-expected, Commission.Line(-amount, rateBps));
        });

    /// <summary>Small amounts (where ties are frequent), contract-sized ones, and the whole range of long.</summary>
    private static Gen<long> Amounts() => Gen.OneOf(
        Gen.Choose(0, 100_000).Select(i => (long)i),
        Gen.Choose(0, 1_000_000).SelectMany(high => Gen.Choose(0, 1_000_000), (high, low) => (high * 1_000_000L) + low),
        Gen.Choose(int.MinValue, int.MaxValue).SelectMany(high => Gen.Choose(int.MinValue, int.MaxValue), (high, low) => ((long)high << 32) | (uint)low)
            .Where(value => value != long.MinValue));
}
