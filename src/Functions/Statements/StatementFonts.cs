using PdfSharp.Fonts;

namespace PartnerBase.Functions.Statements;

/// <summary>
/// PDFsharp's font resolver for the statement PDFs: DejaVu Sans, regular and bold, from the assembly's embedded resources
/// (Statements/Fonts, licence beside them), so rendering never depends on the fonts installed where the app runs.
/// </summary>
internal sealed class StatementFonts : IFontResolver
{
    public const string Family = "DejaVu Sans";

    private const string Regular = "DejaVuSans";
    private const string Bold = "DejaVuSans-Bold";

    private StatementFonts()
    {
    }

    public static StatementFonts Instance { get; } = new();

    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
        string.Equals(familyName, Family, StringComparison.OrdinalIgnoreCase)
            ? new FontResolverInfo(bold ? Bold : Regular, mustSimulateBold: false, mustSimulateItalic: italic)
            : null;

    public byte[]? GetFont(string faceName)
    {
        if (faceName is not (Regular or Bold))
        {
            return null;
        }

        using var resource = typeof(StatementFonts).Assembly.GetManifestResourceStream($"{typeof(StatementFonts).Namespace}.Fonts.{faceName}.ttf")
            ?? throw new InvalidOperationException($"The embedded font {faceName}.ttf is missing from the assembly.");
        using var bytes = new MemoryStream();
        resource.CopyTo(bytes);
        return bytes.ToArray();
    }
}
