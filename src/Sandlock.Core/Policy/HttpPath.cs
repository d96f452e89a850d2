using System.Text;

namespace Sandlock.Policy;

/// <summary>
/// A request's path as the rules see it and as the server gets it. The proxy forwards <see cref="Forwarded"/>, the
/// path it matched: dot segments resolved, empty segments merged, unreserved escapes decoded; so a server cannot
/// resolve <c>/ok/../no</c>, <c>//no</c> or <c>/%6Eo</c> to another path than the rules saw. What servers read in
/// different ways is refused (<see cref="Parse"/> throws): an encoded '/' or a ';' parameter that hides a '.' or
/// '..' segment (<c>/ok/..%2Fno</c>, <c>/ok/..;/no</c>), a backslash, a control character or NUL, a malformed
/// escape, escapes that are not UTF-8, a fragment, a character that must be percent-encoded.
/// </summary>
internal sealed record HttpPath
{
    private const string Unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

    private HttpPath(string matched, string forwarded, string? withoutParameters)
    {
        Matched = matched;
        Forwarded = forwarded;
        WithoutParameters = withoutParameters;
    }

    /// <summary>The path the rules match: percent-decoded (an encoded '/' stays <c>%2F</c>), normalized, no query.</summary>
    public string Matched { get; }

    /// <summary>The path and query the server gets: the segments as sent (escapes of unreserved characters decoded), normalized.</summary>
    public string Forwarded { get; }

    /// <summary>
    /// <see cref="Matched"/> without the segments' <c>;</c> parameters, when it has any: the path a server that strips
    /// them (Tomcat, Jetty) serves. Null when the path has no ';'.
    /// </summary>
    public string? WithoutParameters { get; }

    /// <summary>The readings any of which a deny rule matching refuses the request: each way a server may read the path, also without its trailing '/', which most servers ignore.</summary>
    public IEnumerable<string> DenyReadings =>
        (WithoutParameters is null ? [Matched] : new[] { Matched, WithoutParameters }).SelectMany(p => p.Length > 1 && p.EndsWith('/') ? new[] { p, p.TrimEnd('/') } : [p]).Distinct();

    /// <summary>Reads an origin-form target (<c>/path?query</c>); throws <see cref="FormatException"/> naming what is refused.</summary>
    public static HttpPath Parse(string target)
    {
        var bad = target.FirstOrDefault(c => c is <= ' ' or >= '\x7f');
        if (bad != default) throw new FormatException($"the request target holds the character 0x{(int)bad:X2}, which must be percent-encoded");
        if (target.Contains('#')) throw new FormatException("the request target holds a fragment ('#')");
        var queryStart = target.IndexOf('?');
        var (path, query) = queryStart < 0 ? (target, "") : (target[..queryStart], target[queryStart..]);
        if (!path.StartsWith('/')) throw new FormatException("the request path does not start with '/'");
        if (path.Contains('\\')) throw new FormatException("the request path holds a backslash, which some servers read as '/'");

        var (matched, forwarded, bare) = (new List<string>(), new List<string>(), new List<string>());
        var raw = path[1..].Split('/');
        var trailing = false;
        foreach (var segment in raw)
        {
            var text = Decode(segment);
            trailing = segment.Length == 0 || text is "." or "..";
            if (segment.Length == 0 || text == ".") continue;
            if (text == "..")
            {
                if (matched.Count > 0) { matched.RemoveAt(matched.Count - 1); forwarded.RemoveAt(forwarded.Count - 1); bare.RemoveAt(bare.Count - 1); }
                continue;
            }
            if (text.Split('/').Select(part => part.Split(';')[0]).Any(part => part is "." or ".."))
                throw new FormatException($"the path segment '{segment}' hides a '.' or '..' segment behind an encoded '/' or a ';' parameter");
            matched.Add(text.Replace("/", "%2F", StringComparison.Ordinal));
            forwarded.Add(Canonical(segment));
            bare.Add(Decode(segment.Split(';')[0]).Replace("/", "%2F", StringComparison.Ordinal));
        }
        var end = trailing && matched.Count > 0 ? "/" : "";
        var withoutParameters = path.Contains(';') ? "/" + string.Join('/', bare.Where(s => s.Length > 0)) + end : null;
        return new HttpPath("/" + string.Join('/', matched) + end, "/" + string.Join('/', forwarded) + end + query, withoutParameters);
    }

    /// <summary>A segment percent-decoded as UTF-8; throws on a malformed escape, a control character, a backslash or bytes that are not UTF-8.</summary>
    private static string Decode(string segment)
    {
        var bytes = new List<byte>(segment.Length);
        for (var i = 0; i < segment.Length; i++)
        {
            if (segment[i] != '%') { bytes.Add((byte)segment[i]); continue; }
            if (i + 2 >= segment.Length || !Uri.IsHexDigit(segment[i + 1]) || !Uri.IsHexDigit(segment[i + 2]))
                throw new FormatException($"the path segment '{segment}' holds a '%' not followed by two hex digits");
            var value = Convert.ToByte(segment.Substring(i + 1, 2), 16);
            if (value is < 0x20 or 0x7f) throw new FormatException($"the path segment '{segment}' encodes a control character or NUL (%{value:X2})");
            if (value == '\\') throw new FormatException($"the path segment '{segment}' encodes a backslash (%5C), which some servers read as '/'");
            bytes.Add(value);
            i += 2;
        }
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString([.. bytes]); }
        catch (DecoderFallbackException) { throw new FormatException($"the path segment '{segment}' encodes bytes that are not UTF-8"); }
    }

    /// <summary>A segment as forwarded: escapes of unreserved characters decoded, the others' hex digits upper case.</summary>
    private static string Canonical(string segment)
    {
        var text = new StringBuilder(segment.Length);
        for (var i = 0; i < segment.Length; i++)
        {
            if (segment[i] != '%') { text.Append(segment[i]); continue; }
            var value = (char)Convert.ToByte(segment.Substring(i + 1, 2), 16);
            if (Unreserved.Contains(value)) text.Append(value);
            else text.Append('%').Append(segment.Substring(i + 1, 2).ToUpperInvariant());
            i += 2;
        }
        return text.ToString();
    }
}
