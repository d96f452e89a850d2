using System.Text;

namespace Sandlock.Policy;

/// <summary>
/// The paths a request target may name, as the servers behind the proxy read it. Servers differ: some decode an
/// encoded '/' (<c>%2F</c>) before resolving dot segments, some strip <c>;params</c> from segments (so
/// <c>/ok/..;/no</c> is <c>/no</c>), some take '\' for '/', a few decode twice. Each such reading of the path is
/// matched against the rules: a deny rule that matches any reading refuses the request, and allow rules must allow
/// every reading, so <c>/ok/x%2F..%2F..%2Fno</c> does not pass a rule for <c>/ok/*</c> and reach <c>/no</c>.
/// </summary>
internal static class HttpPaths
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [Flags]
    private enum Reading
    {
        Plain = 0,
        EncodedSlashSeparates = 1,
        SegmentParametersStripped = 2,
        BackslashSeparates = 4,
        DecodedTwice = 8,
        All = 15,
    }

    /// <summary>
    /// Every distinct reading of the target's path (no query), each percent-decoded with empty, '.' and '..'
    /// segments resolved and starting with '/'; the first is the plain reading, the one shown in messages. Throws
    /// <see cref="InvalidDataException"/> for a target that is not a path, or one servers may read in ways no rule
    /// can judge (a fragment, a control character or NUL, a broken percent escape, bytes that are not UTF-8).
    /// </summary>
    public static IReadOnlyList<string> Readings(string target)
    {
        if (target.Length == 0 || target[0] != '/')
            throw new InvalidDataException($"the request target '{Shorten(target)}' is not a path: the HTTP rules judge origin-form targets ('/path') only");
        if (target.Contains('#'))
            throw new InvalidDataException($"the request target '{Shorten(target)}' holds a '#', which a client never sends and servers read differently");
        var end = target.IndexOf('?');
        var raw = end < 0 ? target : target[..end];
        var readings = new List<string>(4);
        for (var reading = Reading.Plain; reading <= Reading.All; reading++)
        {
            var path = Read(raw, reading);
            if (!readings.Contains(path)) readings.Add(path);
        }
        return readings;
    }

    /// <summary>The plain reading of the target's path (the first of <see cref="Readings"/>).</summary>
    public static string Normalize(string target) => Readings(target)[0];

    private static string Read(string raw, Reading reading)
    {
        var separators = reading.HasFlag(Reading.BackslashSeparates) ? new[] { '/', '\\' } : ['/'];
        var source = reading.HasFlag(Reading.BackslashSeparates) ? raw.Replace("%5C", "/", StringComparison.OrdinalIgnoreCase) : raw;
        var segments = new List<string>();
        foreach (var rawSegment in source.Split(separators))
        {
            var segment = rawSegment;
            if (reading.HasFlag(Reading.SegmentParametersStripped) && segment.IndexOf(';') is var semicolon and >= 0) segment = segment[..semicolon];
            var decoded = Decode(segment, strict: true);
            if (reading.HasFlag(Reading.DecodedTwice)) decoded = Decode(decoded, strict: false);
            if (reading.HasFlag(Reading.BackslashSeparates)) decoded = decoded.Replace('\\', '/');
            if (reading.HasFlag(Reading.EncodedSlashSeparates)) segments.AddRange(decoded.Split('/'));
            else segments.Add(decoded);
        }
        var resolved = new List<string>(segments.Count);
        foreach (var segment in segments)
        {
            if (segment is "" or ".") continue;
            if (segment == "..") { if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1); continue; }
            resolved.Add(segment);
        }
        var trailing = segments.Count > 0 && segments[^1] is "" or "." or ".." && resolved.Count > 0 ? "/" : "";
        return "/" + string.Join('/', resolved) + trailing;
    }

    /// <summary>
    /// Percent-decodes one segment. <paramref name="strict"/> (the first decoding) refuses a '%' without two hex
    /// digits; a second decoding takes one as a literal '%', as a server decoding twice would.
    /// </summary>
    private static string Decode(string text, bool strict)
    {
        if (!text.Contains('%')) return Checked(text, text);
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '%')
            {
                if (i + 2 < text.Length && Uri.IsHexDigit(text[i + 1]) && Uri.IsHexDigit(text[i + 2]))
                {
                    bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                    i += 2;
                    continue;
                }
                if (strict) throw new InvalidDataException($"the request path '{Shorten(text)}' holds a '%' that is not followed by two hex digits");
            }
            bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
        }
        string decoded;
        try { decoded = StrictUtf8.GetString([.. bytes]); }
        catch (DecoderFallbackException) { throw new InvalidDataException($"the request path '{Shorten(text)}' decodes to bytes that are not UTF-8"); }
        return Checked(decoded, text);
    }

    private static string Checked(string decoded, string text) =>
        decoded.Any(char.IsControl)
            ? throw new InvalidDataException($"the request path '{Shorten(text)}' holds a control character or NUL")
            : decoded;

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "...";
}
