using System.Globalization;
using CsvHelper;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;

namespace PartnerBase.Functions.Payouts;

/// <summary>
/// The CSV of <c>GET /api/payouts/export</c>: every matching payout as RFC 4180 CSV, written row by row as pages arrive
/// from the store, so memory stays O(page + partners) whatever the organization's size.
/// </summary>
public static class PayoutExport
{
    public static readonly string[] Columns =
        ["id", "partner_id", "partner_name", "amount", "currency", "status", "period", "created_at", "approved_at", "paid_at", "payment_reference", "notes"];

    private const int RowsPerFlush = 100;

    private static readonly CsvWriterOptions Format = new()
    {
        NewLine = "\r\n",
        WriteByteOrderMark = false,
        // Cells starting with = + - @ tab or CR get a leading ' so spreadsheets do not run them as formulas
        // (CsvHelper's default set lacks CR).
        Injection = CsvInjection.Escape,
        InjectionCharacters = "=+-@\t\r",
        InjectionEscape = '\'',
    };

    public static async Task WriteAsync(Stream body, IAsyncEnumerable<Payout> payouts, Func<IReadOnlyCollection<string>, Task<IReadOnlyList<Partner>>> getPartners)
    {
        await using var csv = CsvWriter.Create(body, Format, true);
        await csv.WriteRecordAsync(Columns, CancellationToken.None);
        var partnerNames = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var chunk in payouts.Chunk(RowsPerFlush))
        {
            var unknown = chunk.Select(p => p.PartnerId).Where(id => !partnerNames.ContainsKey(id)).ToHashSet();
            if (unknown.Count > 0)
            {
                foreach (var partner in await getPartners(unknown))
                {
                    partnerNames[partner.Id] = partner.Name;
                }

                // Remember misses too, so a missing partner costs one lookup, not one per chunk.
                foreach (var id in unknown)
                {
                    partnerNames.TryAdd(id, "");
                }
            }

            foreach (var payout in chunk)
            {
                await csv.WriteRecordAsync(Row(payout, partnerNames.GetValueOrDefault(payout.PartnerId)), CancellationToken.None);
            }

            await csv.FlushAsync(CancellationToken.None);
        }
    }

    private static string[] Row(Payout payout, string? partnerName) =>
    [
        payout.Id,
        payout.PartnerId,
        partnerName ?? "",
        payout.Amount.ToMajorUnitString(),
        payout.Amount.Currency.Code,
        PayoutTransitions.StatusName(payout.Status),
        payout.Period.ToString(),
        Timestamp(payout.CreatedAt),
        Timestamp(payout.ApprovedAt),
        Timestamp(payout.PaidAt),
        payout.PaymentReference ?? "",
        payout.Notes ?? "",
    ];

    private static string Timestamp(DateTimeOffset? at) => at?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) ?? "";
}
