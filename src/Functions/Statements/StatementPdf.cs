using System.Globalization;
using PartnerBase.Core;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Statements;
using PartnerBase.Functions.Notifications;
using PdfSharp;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;

namespace PartnerBase.Functions.Statements;

/// <summary>
/// A statement (CONTRACT §10) as an A4 PDF: the header, then per currency the period's payouts with their commission
/// lines, the held commission, what was carried forward and the totals as given. Tables that run over a page go on with
/// their header repeated; every page says "Page N of M". DejaVu Sans is embedded (as a subset), so the text can be
/// extracted and searched.
/// </summary>
public static class StatementPdf
{
    // The first PDF of the process installs the resolver, once, whatever renders concurrently.
    static StatementPdf() => GlobalFontSettings.FontResolver = StatementFonts.Instance;

    public static byte[] Render(Statement statement)
    {
        ArgumentNullException.ThrowIfNull(statement);

        using var document = new PdfDocument();
        document.Info.Title = $"Statement {statement.Period} – {statement.Partner.Name}";
        document.Info.Creator = "PartnerBase Payouts";
        document.Info.CreationDate = statement.GeneratedAt.UtcDateTime;
        document.Info.ModificationDate = statement.GeneratedAt.UtcDateTime;

        var style = new Style();
        using (var writer = new PageWriter(document, statement, style))
        {
            writer.WriteHeader();
            foreach (var currency in statement.Currencies)
            {
                writer.WriteCurrency(currency);
            }
        }

        WriteFooters(document, statement, style);

        using var output = new MemoryStream();
        document.Save(output, closeStream: false);
        return output.ToArray();
    }

    // Only known once every page exists: "of M".
    private static void WriteFooters(PdfDocument document, Statement statement, Style style)
    {
        for (var i = 0; i < document.PageCount; i++)
        {
            using var graphics = XGraphics.FromPdfPage(document.Pages[i], XGraphicsPdfPageOptions.Append);
            var y = graphics.PageSize.Height - Layout.FooterFromBottom;
            var width = graphics.PageSize.Width - (2 * Layout.Margin);
            graphics.DrawLine(style.Rule, Layout.Margin, y - 4, Layout.Margin + width, y - 4);
            graphics.DrawString($"Statement {statement.Id}", style.Small, style.Muted, new XRect(Layout.Margin, y, width, Layout.SmallLine), XStringFormats.TopLeft);
            graphics.DrawString(
                string.Create(CultureInfo.InvariantCulture, $"Page {i + 1} of {document.PageCount}"),
                style.Small,
                style.Muted,
                new XRect(Layout.Margin, y, width, Layout.SmallLine),
                XStringFormats.TopRight);
        }
    }

    private static string Money(long minorUnits, Currency currency) => AmountFormat.Format(new Money(minorUnits, currency));

    // Basis points to percent, exactly: 1250 → "12.50 %".
    private static string Rate(int basisPoints) => (basisPoints / 100m).ToString("0.00", CultureInfo.InvariantCulture) + " %";

    private static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Words(string contractName) => contractName.Replace('_', ' ');

    private static string SourceName(PayoutSource source) => source switch
    {
        PayoutSource.CommissionRun => "commission run",
        PayoutSource.Manual => "manual",
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
    };

    private static class Layout
    {
        public const double Margin = 28;
        public const double Top = 40;
        public const double Bottom = 56;
        public const double FooterFromBottom = 34;
        public const double SmallLine = 10;
        public const double BodyLine = 10;
        public const double CellPadding = 2.5;
        public const double LineIndent = 12;
        public const double SectionGap = 16;
        public const double HeadingHeight = 22;
        public const double SubheadingHeight = 16;
        public const double SingleRowHeight = BodyLine + (2 * CellPadding);
    }

    // Fonts, brushes and pens are made per document: PDFsharp does not promise that its drawing objects can be shared
    // between documents rendered on different threads.
    private sealed class Style
    {
        private static readonly XPdfFontOptions Embedded = new(PdfFontEncoding.Unicode, PdfFontEmbedding.TryComputeSubset);

        public XFont Title { get; } = Font(18, bold: true);

        public XFont Heading { get; } = Font(12, bold: true);

        public XFont Subheading { get; } = Font(9.5, bold: true);

        public XFont Body { get; } = Font(7.5, bold: false);

        public XFont BodyBold { get; } = Font(7.5, bold: true);

        public XFont Label { get; } = Font(8.5, bold: false);

        public XFont Value { get; } = Font(8.5, bold: true);

        public XFont Small { get; } = Font(7.5, bold: false);

        public XBrush Text { get; } = new XSolidBrush(XColor.FromArgb(0x1F, 0x29, 0x33));

        public XBrush Muted { get; } = new XSolidBrush(XColor.FromArgb(0x5F, 0x6B, 0x76));

        public XBrush HeaderFill { get; } = new XSolidBrush(XColor.FromArgb(0xEC, 0xEF, 0xF3));

        public XBrush LineHeaderFill { get; } = new XSolidBrush(XColor.FromArgb(0xF6, 0xF7, 0xF9));

        public XPen Rule { get; } = new(XColor.FromArgb(0xC9, 0xD1, 0xD9), 0.5);

        public XPen StrongRule { get; } = new(XColor.FromArgb(0x1F, 0x29, 0x33), 0.75);

        private static XFont Font(double size, bool bold) =>
            new(StatementFonts.Family, size, bold ? XFontStyleEx.Bold : XFontStyleEx.Regular, Embedded);
    }

    private sealed record Column(string Title, double Width, bool AlignRight = false);

    private sealed record Table(double Indent, Column[] Columns);

    // Widths in points; each table spans the content width (A4 less the margins, 539 pt). An id of 32 hex digits with
    // its prefix, a status, a timestamp and an amount up to the millions each fit on one line; longer text wraps.
    private static readonly Table Payouts = new(0,
    [
        new("Payout", 171),
        new("Status", 71),
        new("Source", 65),
        new("Paid at (UTC)", 73),
        new("Reference", 79),
        new("Amount", 80, AlignRight: true),
    ]);

    private static readonly Table Lines = new(Layout.LineIndent,
    [
        new("Attribution", 171),
        new("Deal", 106),
        new("Closed", 49),
        new("Attributed", 82, AlignRight: true),
        new("Rate", 39, AlignRight: true),
        new("Commission", 80, AlignRight: true),
    ]);

    private static readonly Table Held = new(0,
    [
        new("Attribution", 171),
        new("Deal", 130),
        new("Closed", 62),
        new("Payable from", 73),
        new("Commission", 103, AlignRight: true),
    ]);

    /// <summary>Writes top to bottom, starting a new page when the next block does not fit and repeating the headers in force.</summary>
    private sealed class PageWriter(PdfDocument document, Statement statement, Style style) : IDisposable
    {
        private readonly Style _style = style;
        // What a new page repeats before going on: the currency's heading, the header rows of the tables being written.
        private readonly List<Action> _continuation = [];
        private XGraphics? _graphics;
        private double _y;

        private XGraphics Graphics => _graphics ?? throw new InvalidOperationException("No page has been started.");

        private double ContentWidth => Graphics.PageSize.Width - (2 * Layout.Margin);

        private double ContentBottom => Graphics.PageSize.Height - Layout.Bottom;

        public void WriteHeader()
        {
            StartPage();
            var width = ContentWidth;
            Text(statement.OrgId, _style.Small, _style.Muted, Layout.Margin, _y, width);
            _y += Layout.SmallLine + 4;
            Text("Statement", _style.Title, _style.Text, Layout.Margin, _y, width);
            Text(statement.Period.ToString(), _style.Heading, _style.Text, Layout.Margin, _y + 5, width, alignRight: true);
            _y += 26;
            Graphics.DrawLine(_style.StrongRule, Layout.Margin, _y, Layout.Margin + width, _y);
            _y += 8;

            var partner = statement.Partner;
            (string Label, string Value)[] left =
            [
                ("Partner", partner.Name),
                ("Partner id", partner.Id),
                ("Email", partner.Email ?? "—"),
            ];
            (string Label, string Value)[] right =
            [
                ("Period", statement.Period.ToString()),
                ("Generated", statement.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)),
                ("Statement id", statement.Id),
            ];
            const double LabelWidth = 70;
            var half = width / 2;
            var top = _y;
            var leftBottom = Fields(left, Layout.Margin, top, LabelWidth, half - LabelWidth - 10);
            var rightBottom = Fields(right, Layout.Margin + half, top, LabelWidth, half - LabelWidth);
            _y = Math.Max(leftBottom, rightBottom) + Layout.SectionGap;
        }

        public void WriteCurrency(StatementCurrency section)
        {
            var currency = section.Currency;
            KeepTogether(Layout.HeadingHeight + RowHeight(Payouts, HeaderCells(Payouts), _style.BodyBold) + (2 * Layout.SingleRowHeight));
            Heading(currency.Code);
            _continuation.Add(() => Heading($"{currency.Code} (continued)"));

            WritePayouts(section);
            if (section.Held.Count > 0)
            {
                WriteHeld(section);
            }

            WriteSummary(section);
            _continuation.Clear();
            _y += Layout.SectionGap;
        }

        public void Dispose() => _graphics?.Dispose();

        private void WritePayouts(StatementCurrency section)
        {
            var currency = section.Currency;
            if (section.Payouts.Count == 0)
            {
                Note("No payouts in this period.");
                return;
            }

            HeaderRow(Payouts);
            _continuation.Add(() => HeaderRow(Payouts));
            foreach (var payout in section.Payouts)
            {
                var rejected = payout.Status == PayoutStatus.Rejected;
                string[] cells =
                [
                    payout.Id,
                    Words(PayoutTransitions.StatusName(payout.Status)),
                    SourceName(payout.Source),
                    payout.PaidAt is { } paidAt ? Time(paidAt) : "—",
                    payout.PaymentReference ?? "—",
                    Money(payout.Amount, currency),
                ];
                var firstLine = payout.Lines.Count > 0 ? RowHeight(Lines, HeaderCells(Lines), _style.BodyBold) + Layout.SingleRowHeight : 0;
                KeepTogether(RowHeight(Payouts, cells, _style.Body) + firstLine);
                Row(Payouts, cells, _style.Body, rejected ? _style.Muted : _style.Text, rule: payout.Lines.Count == 0);

                if (payout.Lines.Count > 0)
                {
                    WriteLines(payout, currency);
                }
            }

            _continuation.RemoveAt(_continuation.Count - 1);
            if (section.Payouts.Any(payout => payout.Status == PayoutStatus.Rejected))
            {
                Note("Rejected payouts are listed for reference; they count in no total.");
            }
        }

        private void WriteLines(StatementPayout payout, Currency currency)
        {
            HeaderRow(Lines, _style.LineHeaderFill);
            _continuation.Add(() =>
            {
                Row(Lines, [$"Lines of {payout.Id} (continued)"], _style.Body, _style.Muted, rule: false, spanAll: true);
                HeaderRow(Lines, _style.LineHeaderFill);
            });
            for (var i = 0; i < payout.Lines.Count; i++)
            {
                var line = payout.Lines[i];
                Row(
                    Lines,
                    [line.AttributionId, line.DealId, Date(line.ClosedAt), Money(line.AttributedAmount, currency), Rate(line.CommissionRateBps), Money(line.Commission, currency)],
                    _style.Body,
                    _style.Text,
                    rule: i == payout.Lines.Count - 1);
            }

            _continuation.RemoveAt(_continuation.Count - 1);
        }

        private void WriteHeld(StatementCurrency section)
        {
            _y += 8;
            KeepTogether(Layout.SubheadingHeight + RowHeight(Held, HeaderCells(Held), _style.BodyBold) + Layout.SingleRowHeight);
            Subheading("Held", "commission of the period still in its holding period");
            HeaderRow(Held);
            _continuation.Add(() =>
            {
                Subheading("Held (continued)", null);
                HeaderRow(Held);
            });
            foreach (var held in section.Held)
            {
                Row(
                    Held,
                    [held.AttributionId, held.DealId, Date(held.ClosedAt), Date(held.PayableFrom), Money(held.Commission, section.Currency)],
                    _style.Body,
                    _style.Text,
                    rule: true);
            }

            _continuation.RemoveAt(_continuation.Count - 1);
        }

        // Carried forward, then the totals exactly as the statement gives them (never recomputed here).
        private void WriteSummary(StatementCurrency section)
        {
            var currency = section.Currency;
            var totals = section.Totals;
            (string Label, string Value, bool Strong)[] rows =
            [
                ("Carried forward", Money(section.CarriedForward, currency), false),
                ("Paid", Money(totals.Paid, currency), false),
                ("Pending", Money(totals.Pending, currency), false),
                ("Failed", Money(totals.Failed, currency), false),
                ("Earned", Money(totals.Earned, currency), true),
            ];
            const double BlockWidth = 250;
            const double RowStep = 13;
            _y += 10;
            KeepTogether((rows.Length * RowStep) + 16);

            var x = Layout.Margin + ContentWidth - BlockWidth;
            for (var i = 0; i < rows.Length; i++)
            {
                var (label, value, strong) = rows[i];
                if (i == 1)
                {
                    _y += 6;
                }

                if (strong)
                {
                    Graphics.DrawLine(_style.StrongRule, x, _y + 1, x + BlockWidth, _y + 1);
                    _y += 4;
                }

                Text(label, strong ? _style.Value : _style.Label, _style.Text, x, _y, BlockWidth);
                Text(value, strong ? _style.Value : _style.Label, _style.Text, x, _y, BlockWidth, alignRight: true);
                _y += RowStep;
            }
        }

        private static string[] HeaderCells(Table table) => [.. table.Columns.Select(column => column.Title)];

        private void Heading(string text)
        {
            Text(text, _style.Heading, _style.Text, Layout.Margin, _y, ContentWidth);
            _y += 16;
            Graphics.DrawLine(_style.StrongRule, Layout.Margin, _y, Layout.Margin + ContentWidth, _y);
            _y += 6;
        }

        private void Subheading(string text, string? explanation)
        {
            Text(text, _style.Subheading, _style.Text, Layout.Margin, _y, ContentWidth);
            if (explanation is not null)
            {
                var offset = Graphics.MeasureString(text, _style.Subheading).Width + 6;
                Text(explanation, _style.Small, _style.Muted, Layout.Margin + offset, _y + 1.5, ContentWidth - offset);
            }

            _y += Layout.SubheadingHeight;
        }

        private void Note(string text)
        {
            KeepTogether(Layout.SingleRowHeight + 2);
            _y += 2;
            Text(text, _style.Small, _style.Muted, Layout.Margin, _y + Layout.CellPadding, ContentWidth);
            _y += Layout.SingleRowHeight;
        }

        private void HeaderRow(Table table, XBrush? fill = null)
        {
            var cells = HeaderCells(table);
            var height = RowHeight(table, cells, _style.BodyBold);
            KeepTogether(height);
            var width = table.Columns.Sum(column => column.Width);
            Graphics.DrawRectangle(fill ?? _style.HeaderFill, Layout.Margin + table.Indent, _y, width, height);
            Cells(table, cells, _style.BodyBold, _style.Text);
            _y += height;
        }

        private void Row(Table table, string[] cells, XFont font, XBrush brush, bool rule, bool spanAll = false)
        {
            var spanned = spanAll ? table with { Columns = [new(string.Empty, table.Columns.Sum(column => column.Width))] } : table;
            var height = RowHeight(spanned, cells, font);
            KeepTogether(height);
            Cells(spanned, cells, font, brush);
            _y += height;
            if (rule)
            {
                var width = spanned.Columns.Sum(column => column.Width);
                Graphics.DrawLine(_style.Rule, Layout.Margin + table.Indent, _y, Layout.Margin + table.Indent + width, _y);
            }
        }

        private void Cells(Table table, string[] cells, XFont font, XBrush brush)
        {
            var x = Layout.Margin + table.Indent;
            for (var i = 0; i < table.Columns.Length; i++)
            {
                var column = table.Columns[i];
                var inner = column.Width - (2 * Layout.CellPadding);
                var lineY = _y + Layout.CellPadding;
                foreach (var line in Wrap(cells[i], font, inner))
                {
                    Text(line, font, brush, x + Layout.CellPadding, lineY, inner, column.AlignRight);
                    lineY += Layout.BodyLine;
                }

                x += column.Width;
            }
        }

        private double RowHeight(Table table, string[] cells, XFont font)
        {
            var lines = 1;
            for (var i = 0; i < table.Columns.Length; i++)
            {
                lines = Math.Max(lines, Wrap(cells[i], font, table.Columns[i].Width - (2 * Layout.CellPadding)).Count);
            }

            return (lines * Layout.BodyLine) + (2 * Layout.CellPadding);
        }

        // Ids and references come from clients and have no fixed length: a long one wraps (at a space if it can) rather
        // than run into the next column or lose characters.
        private List<string> Wrap(string text, XFont font, double width)
        {
            var lines = new List<string>();
            var rest = text;
            while (Graphics.MeasureString(rest, font).Width > width && rest.Length > 1)
            {
                var fit = 1;
                while (fit < rest.Length && Graphics.MeasureString(rest[..(fit + 1)], font).Width <= width)
                {
                    fit++;
                }

                var space = rest.LastIndexOf(' ', fit - 1, fit);
                var cut = space > 0 ? space + 1 : fit;
                lines.Add(rest[..cut].TrimEnd());
                rest = rest[cut..].TrimStart();
            }

            lines.Add(rest);
            return lines;
        }

        private double Fields((string Label, string Value)[] fields, double x, double y, double labelWidth, double valueWidth)
        {
            foreach (var (label, value) in fields)
            {
                Text(label, _style.Label, _style.Muted, x, y, labelWidth);
                foreach (var line in Wrap(value, _style.Value, valueWidth))
                {
                    Text(line, _style.Value, _style.Text, x + labelWidth, y, valueWidth);
                    y += 12;
                }

                y += 1;
            }

            return y;
        }

        private void Text(string text, XFont font, XBrush brush, double x, double y, double width, bool alignRight = false) =>
            Graphics.DrawString(text, font, brush, new XRect(x, y, width, font.Size * 1.2), alignRight ? XStringFormats.TopRight : XStringFormats.TopLeft);

        private void KeepTogether(double height)
        {
            if (_y + height > ContentBottom)
            {
                StartPage();
                foreach (var repeat in _continuation.ToArray())
                {
                    repeat();
                }
            }
        }

        private void StartPage()
        {
            _graphics?.Dispose();
            var page = document.AddPage();
            page.Size = PageSize.A4;
            _graphics = XGraphics.FromPdfPage(page);
            _y = Layout.Top;
            if (document.PageCount > 1)
            {
                // A later page says whose statement it belongs to.
                var width = ContentWidth;
                Text($"Statement {statement.Period} · {statement.Partner.Name}", _style.Small, _style.Muted, Layout.Margin, _y, width);
                Text(statement.OrgId, _style.Small, _style.Muted, Layout.Margin, _y, width, alignRight: true);
                _y += Layout.SmallLine + 2;
                Graphics.DrawLine(_style.Rule, Layout.Margin, _y, Layout.Margin + width, _y);
                _y += 10;
            }
        }
    }
}
