using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using PartnerBase.Core;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Statements;
using PartnerBase.Functions.Notifications;
using PartnerBase.Functions.Statements;

namespace PartnerBase.Functions.Tests.Statements;

/// <summary>
/// The statement PDF read back the way a person or a search index reads it: its text extracted with poppler's pdftotext
/// (poppler-utils, which .ci/run installs; without it these tests fail, they never skip).
/// </summary>
public sealed class StatementPdfTests
{
    private static readonly Currency Usd = Currency.Parse("USD");
    private static readonly Currency Jpy = Currency.Parse("JPY");
    private static readonly Period October = Period.Month(2026, 10);
    private static readonly DateTimeOffset GeneratedAt = new(2026, 11, 1, 4, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Render_Statement_IsAPdf()
    {
        var pdf = StatementPdf.Render(TwoCurrencyStatement());

        Assert.Equal("%PDF-"u8.ToArray(), pdf[..5]);
    }

    [Fact]
    public async Task Render_TwoCurrencies_ShowsThePartnerTheLinesTheHeldCommissionAndTheTotalsOnOnePage()
    {
        var statement = TwoCurrencyStatement();

        var text = await ExtractTextAsync(StatementPdf.Render(statement));

        Assert.Contains("Statement", text);
        Assert.Contains("org_pdf_test", text);
        Assert.Contains("Acme Referrals GmbH", text);
        Assert.Contains("pt_acme", text);
        Assert.Contains("finance@acme.example", text);
        Assert.Contains("2026-10", text);
        Assert.Contains("2026-11-01 04:00 UTC", text);
        Assert.Contains("stm_2026-10_pt_acme", text);
        foreach (var line in statement.Currencies.SelectMany(c => c.Payouts.SelectMany(p => p.Lines.Select(l => (c.Currency, Line: l)))))
        {
            Assert.Matches(Row(line.Line.AttributionId, line.Line.DealId, Format(line.Line.Commission, line.Currency)), text);
        }

        Assert.Matches(Row("attr_usd_reversed", "deal_1003", "USD -40.00"), text);
        Assert.Matches(Row("attr_usd_1001", "deal_1001", "2026-10-03", "USD 1,000.00", "12.50 %", "USD 125.00"), text);
        Assert.Matches(Row("attr_jpy_2001", "deal_2001", "JPY 12,000", "12.50 %", "JPY 1,500"), text);
        Assert.Matches(Row("attr_usd_held", "deal_1004", "2026-10-28", "2026-11-27", "USD 30.00"), text);
        Assert.Matches(Row("attr_jpy_held", "deal_2002", "JPY 800"), text);
        Assert.Matches(Row("po_0195f1c2a9b87c6e8d4f3a2b1c0d9e8f", "pending approval", "commission run", "USD 185.00"), text);
        Assert.Matches(Row("po_7d0c5b1e2f3a49c8b6e1d2f3a4b5c6d7", "paid", "manual", "2026-10-20 09:30", "tr_0001", "USD 50.00"), text);
        Assert.Matches(Row("po_rejected_usd", "rejected", "manual", "USD 99.00"), text);
        Assert.Matches(Row("Carried forward", "USD 12.34"), text);
        Assert.Matches(Row("Carried forward", "JPY 0"), text);
        Assert.Matches(Row("Paid", "USD 50.00"), text);
        Assert.Matches(Row("Pending", "USD 1,180.00"), text);
        Assert.Matches(Row("Failed", "USD 0.00"), text);
        Assert.Matches(Row("Earned", "USD 1,230.00"), text);
        Assert.Matches(Row("Paid", "JPY 0"), text);
        Assert.Matches(Row("Pending", "JPY 1,500"), text);
        Assert.Matches(Row("Failed", "JPY 2,000"), text);
        Assert.Matches(Row("Earned", "JPY 3,500"), text);
        Assert.Contains("Page 1 of 1", text);
    }

    [Fact]
    public async Task Render_300Lines_BreaksOntoMorePagesRepeatingTheTableHeaders()
    {
        var lines = Enumerable.Range(1, 300)
            .Select(i => new StatementLine($"attr_{i:D4}", $"deal_{i:D4}", October.Start.AddDays(i % 28), 10_000 + i, 1000, 1_000 + (i / 10)))
            .ToList();
        var payout = new StatementPayout("po_run_long", PayoutStatus.PendingApproval, lines.Sum(l => l.Commission), PayoutSource.CommissionRun, null, null, lines);
        var statement = Statement([new StatementCurrency(Usd, [payout], [], 0, new StatementTotals(payout.Amount, 0, payout.Amount, 0))]);
        var pdf = StatementPdf.Render(statement);

        var text = await ExtractTextAsync(pdf);
        var pages = text.Split('\f', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var secondPage = await ExtractTextAsync(pdf, page: 2);

        Assert.True(pages.Length > 1, $"300 lines fit on {pages.Length} page.");
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Page 2 of {pages.Length}"), secondPage);
        Assert.Matches(Row("Payout", "Status", "Source", "Paid at (UTC)", "Reference", "Amount"), secondPage);
        Assert.Matches(Row("Attribution", "Deal", "Closed", "Attributed", "Rate", "Commission"), secondPage);
        Assert.Contains("po_run_long (continued)", secondPage);
        foreach (var line in lines)
        {
            Assert.Matches(Row(line.AttributionId, line.DealId, Format(line.Commission, Usd)), text);
        }

        Assert.Matches(Row("Earned", Format(payout.Amount, Usd)), pages[^1]);
    }

    [Fact]
    public async Task Render_SeveralAtOnce_AllRenderTheSameText()
    {
        // The font resolver is process-wide and installed by the first render; concurrent renders must not trip over it.
        var statement = TwoCurrencyStatement();

        var pdfs = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => StatementPdf.Render(statement), TestContext.Current.CancellationToken)));

        var texts = await Task.WhenAll(pdfs.Select(pdf => ExtractTextAsync(pdf)));
        Assert.Contains("attr_usd_reversed", texts[0]);
        Assert.All(texts, text => Assert.Equal(texts[0], text));
    }

    [Fact]
    public async Task Render_Statement_EmbedsASubsetOfDejaVuSans()
    {
        var fonts = await RunPopplerAsync("pdffonts", StatementPdf.Render(TwoCurrencyStatement()));

        var dejaVu = fonts.Split('\n').Where(line => line.Contains("DejaVu Sans", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(dejaVu);
        // pdffonts columns: name type encoding emb sub uni object-id; every face embedded, subset, with a ToUnicode map.
        Assert.All(dejaVu, line => Assert.Matches(@"\s+yes\s+yes\s+yes\s+\d+\s+\d+\s*$", line));
        Assert.DoesNotContain(fonts.Split('\n').Skip(2), line => line.Length > 0 && !line.Contains("DejaVu Sans", StringComparison.Ordinal));
    }

    private static Statement TwoCurrencyStatement()
    {
        List<StatementLine> usdLines =
        [
            new("attr_usd_1001", "deal_1001", new DateTimeOffset(2026, 10, 3, 15, 0, 0, TimeSpan.Zero), 100_000, 1250, 12_500),
            new("attr_usd_1002", "deal_1002", new DateTimeOffset(2026, 10, 9, 8, 0, 0, TimeSpan.Zero), 80_000, 1250, 10_000),
            // Settled in September, reversed in October: the same commission, negative.
            new("attr_usd_reversed", "deal_1003", new DateTimeOffset(2026, 9, 21, 11, 0, 0, TimeSpan.Zero), -32_000, 1250, -4_000),
        ];
        List<StatementLine> jpyLines =
        [
            new("attr_jpy_2001", "deal_2001", new DateTimeOffset(2026, 10, 14, 2, 0, 0, TimeSpan.Zero), 12_000, 1250, 1_500),
        ];
        var usd = new StatementCurrency(
            Usd,
            [
                new("po_0195f1c2a9b87c6e8d4f3a2b1c0d9e8f", PayoutStatus.PendingApproval, 18_500, PayoutSource.CommissionRun, null, null, usdLines),
                new("po_7d0c5b1e2f3a49c8b6e1d2f3a4b5c6d7", PayoutStatus.Paid, 5_000, PayoutSource.Manual, new DateTimeOffset(2026, 10, 20, 9, 30, 0, TimeSpan.Zero), "tr_0001", []),
                new("po_rejected_usd", PayoutStatus.Rejected, 9_900, PayoutSource.Manual, null, null, []),
                new("po_approved_usd", PayoutStatus.Approved, 99_500, PayoutSource.Manual, null, null, []),
            ],
            [new("attr_usd_held", "deal_1004", new DateTimeOffset(2026, 10, 28, 10, 0, 0, TimeSpan.Zero), 3_000, new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero))],
            1_234,
            new StatementTotals(Earned: 123_000, Paid: 5_000, Pending: 118_000, Failed: 0));
        var jpy = new StatementCurrency(
            Jpy,
            [
                new("po_run_jpy", PayoutStatus.PendingApproval, 1_500, PayoutSource.CommissionRun, null, null, jpyLines),
                new("po_failed_jpy", PayoutStatus.Failed, 2_000, PayoutSource.Manual, null, null, []),
            ],
            [new("attr_jpy_held", "deal_2002", new DateTimeOffset(2026, 10, 30, 10, 0, 0, TimeSpan.Zero), 800, new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero))],
            0,
            new StatementTotals(Earned: 3_500, Paid: 0, Pending: 1_500, Failed: 2_000));
        return Statement([usd, jpy]);
    }

    private static Statement Statement(IReadOnlyList<StatementCurrency> currencies) => new(
        "stm_2026-10_pt_acme",
        "org_pdf_test",
        October,
        GeneratedAt,
        new StatementPartner("pt_acme", "Acme Referrals GmbH", "finance@acme.example"),
        currencies);

    private static string Format(long minorUnits, Currency currency) =>
        AmountFormat.Format(new Money(minorUnits, currency));

    // These cells, in this order, on one line of pdftotext's layout output (other cells may stand between them).
    private static Regex Row(params string[] cells) =>
        new(string.Join(" +(?:.* +)?", cells.Select(Regex.Escape)), RegexOptions.Multiline);

    private static Task<string> ExtractTextAsync(byte[] pdf, int? page = null) =>
        RunPopplerAsync("pdftotext", pdf, page is { } p ? ["-layout", "-f", $"{p}", "-l", $"{p}"] : ["-layout"], toStandardOutput: true);

    private static async Task<string> RunPopplerAsync(string tool, byte[] pdf, string[]? options = null, bool toStandardOutput = false)
    {
        var ct = TestContext.Current.CancellationToken;
        var file = Path.Combine(Path.GetTempPath(), $"partnerbase-statement-{Guid.NewGuid():N}.pdf");
        await File.WriteAllBytesAsync(file, pdf, ct);
        try
        {
            var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
            foreach (var option in options ?? [])
            {
                start.ArgumentList.Add(option);
            }

            start.ArgumentList.Add(file);
            if (toStandardOutput)
            {
                start.ArgumentList.Add("-");
            }

            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {tool}.");
            }
            catch (Win32Exception e)
            {
                Assert.Fail($"{tool} is not installed: the statement PDF tests need poppler-utils (apt-get install -y poppler-utils). {e.Message}");
                throw;
            }

            using (process)
            {
                var text = process.StandardOutput.ReadToEndAsync(ct);
                var errors = process.StandardError.ReadToEndAsync(ct);
                await process.WaitForExitAsync(ct);
                Assert.True(process.ExitCode == 0, $"{tool} exited with {process.ExitCode}: {await errors}");
                return await text;
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
