using System.Globalization;

namespace PartnerBase.Functions.Http;

/// <summary>Strong ETags carrying a resource's version: <c>"3"</c>.</summary>
public static class ETags
{
    public static string For(long version) => string.Create(CultureInfo.InvariantCulture, $"\"{version}\"");

    /// <summary>
    /// The versions an <c>If-Match</c> header accepts: null without the header or with <c>*</c>; otherwise the
    /// strong tags it lists (weak or malformed ones never match, per RFC 9110's strong comparison).
    /// </summary>
    public static IReadOnlyCollection<long>? IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        if (header.Length == 0 || header.Trim() == "*")
        {
            return null;
        }

        var versions = new List<long>();
        foreach (var tag in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (tag.Length > 2 && tag[0] == '"' && tag[^1] == '"'
                && long.TryParse(tag.AsSpan(1, tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                versions.Add(version);
            }
        }

        return versions;
    }
}
