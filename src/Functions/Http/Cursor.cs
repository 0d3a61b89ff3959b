using System.Buffers.Text;
using System.Globalization;
using System.Text;
using PartnerBase.Core.Storage;

namespace PartnerBase.Functions.Http;

/// <summary>
/// Opaque page cursors: the sort key of the last item served. A keyset cursor stays valid while items are
/// added (new items sort before it and never shift the next page).
/// </summary>
public static class Cursor
{
    public static string? Encode(PageKey? key) => key is { } k
        ? Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{k.At.UtcTicks}:{k.Id}")))
        : null;

    public static bool TryDecode(string? cursor, out PageKey? key)
    {
        key = null;
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && colon < text.Length - 1
                && long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTimeOffset.MaxValue.UtcTicks)
            {
                key = new PageKey(new DateTimeOffset(ticks, TimeSpan.Zero), text[(colon + 1)..]);
                return true;
            }
        }
        catch (FormatException)
        {
        }

        return false;
    }
}

/// <summary>A page of a list endpoint: <c>{ "data": [...], "nextCursor": "..." | null }</c>.</summary>
public sealed record PageResponse<T>(IReadOnlyList<T> Data, string? NextCursor);
