using System.Text;

namespace Sandlock.Policy;

/// <summary>
/// The form of a request path rules are matched against, so that <c>/ok/../no</c>, <c>//no</c> or <c>/%6Eo</c>
/// cannot pass a rule for <c>/ok/*</c> and reach <c>/no</c> on a server that normalizes them.
/// </summary>
internal static class HttpPaths
{
    /// <summary>The path of a request target (no query or fragment), percent-decoded (an encoded '/' stays
    /// <c>%2F</c>), with empty, '.' and '..' segments resolved; always starts with '/'.</summary>
    public static string Normalize(string target)
    {
        var end = target.IndexOfAny(['?', '#']);
        var raw = end < 0 ? target : target[..end];
        var decoded = Decode(raw);
        var segments = new List<string>();
        foreach (var segment in decoded.Split('/'))
        {
            if (segment is "" or ".") continue;
            if (segment == "..") { if (segments.Count > 0) segments.RemoveAt(segments.Count - 1); continue; }
            segments.Add(segment);
        }
        var trailing = decoded.EndsWith('/') && segments.Count > 0 ? "/" : "";
        return "/" + string.Join('/', segments) + trailing;
    }

    private static string Decode(string raw)
    {
        var bytes = new List<byte>(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '%' && i + 2 < raw.Length && Uri.IsHexDigit(raw[i + 1]) && Uri.IsHexDigit(raw[i + 2]))
            {
                var value = Convert.ToByte(raw.Substring(i + 1, 2), 16);
                if (value == (byte)'/') bytes.AddRange("%2F"u8.ToArray());
                else bytes.Add(value);
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(raw[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString([.. bytes]);
    }
}
