using System.Globalization;

namespace Sandlock.Supervision.Http;

/// <summary>A request line and its headers, as the sandboxed client sent them (HTTP/1.0 or 1.1).</summary>
internal sealed class RequestHead
{
    private const int MaxLine = 16 * 1024, MaxHeaders = 200;

    public required string Method { get; init; }
    /// <summary>The request target as sent: origin form (<c>/path?q</c>) or absolute form (<c>http://host/path</c>).</summary>
    public required string Target { get; init; }
    public required Version Version { get; init; }
    public required List<KeyValuePair<string, string>> Headers { get; init; }

    public string? Header(string name) => Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public bool HasToken(string header, string token) =>
        Headers.Where(h => h.Key.Equals(header, StringComparison.OrdinalIgnoreCase))
            .SelectMany(h => h.Value.Split(',', StringSplitOptions.TrimEntries))
            .Any(t => t.Equals(token, StringComparison.OrdinalIgnoreCase));

    /// <summary>The path and query to forward (origin form, also when the client sent the absolute form).</summary>
    public string PathAndQuery => Uri.TryCreate(Target, UriKind.Absolute, out var uri) && Target.Contains("://", StringComparison.Ordinal)
        ? uri.PathAndQuery
        : Target;

    /// <summary>The authority the request names: the absolute form's, else the Host header; null when neither.</summary>
    public string? Authority => Target.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(Target, UriKind.Absolute, out var uri)
        ? uri.Authority
        : Header("Host");

    public bool KeepAlive => Version >= new Version(1, 1) ? !HasToken("Connection", "close") : HasToken("Connection", "keep-alive");

    /// <summary>The next request head, or null when the client closed the connection between requests.</summary>
    public static async ValueTask<RequestHead?> ReadAsync(ClientInput input, CancellationToken cancel)
    {
        var line = await input.ReadLineAsync(MaxLine, cancel).ConfigureAwait(false);
        // RFC 9112 2.2: ignore at least one empty line before a request line.
        while (line is "") line = await input.ReadLineAsync(MaxLine, cancel).ConfigureAwait(false);
        if (line is null) return null;
        var parts = line.Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || !parts[0].All(c => char.IsAsciiLetterUpper(c) || c == '-') || parts[1].Length == 0
            || !parts[2].StartsWith("HTTP/", StringComparison.Ordinal) || !Version.TryParse(parts[2][5..], out var version) || version.Major != 1)
            throw new InvalidDataException($"not an HTTP/1.x request line: '{Shorten(line)}'");
        var headers = new List<KeyValuePair<string, string>>();
        while (await input.ReadLineAsync(MaxLine, cancel).ConfigureAwait(false) is { Length: > 0 } header)
        {
            var colon = header.IndexOf(':');
            // Whitespace before the colon or a folded line are request smuggling vectors (RFC 9112 5.1, 5.2).
            if (colon <= 0 || char.IsWhiteSpace(header[colon - 1]) || char.IsWhiteSpace(header[0]))
                throw new InvalidDataException($"malformed header line '{Shorten(header)}'");
            if (headers.Count == MaxHeaders) throw new InvalidDataException($"more than {MaxHeaders} headers");
            headers.Add(new(header[..colon], header[(colon + 1)..].Trim()));
        }
        return new RequestHead { Method = parts[0], Target = parts[1], Version = version, Headers = headers };
    }

    /// <summary>The body's length: -1 when chunked, 0 when none; throws when the framing is ambiguous.</summary>
    public long BodyLength()
    {
        var encodings = Headers.Where(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)).ToList();
        var lengths = Headers.Where(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).Distinct().ToList();
        if (encodings.Count > 0)
        {
            if (lengths.Count > 0) throw new InvalidDataException("both Transfer-Encoding and Content-Length");
            var codings = encodings.SelectMany(e => e.Value.Split(',', StringSplitOptions.TrimEntries)).ToList();
            if (codings.Count != 1 || !codings[0].Equals("chunked", StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"unsupported Transfer-Encoding '{string.Join(", ", codings)}'");
            return -1;
        }
        if (lengths.Count == 0) return 0;
        if (lengths.Count > 1 || !long.TryParse(lengths[0], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            throw new InvalidDataException($"invalid Content-Length '{string.Join(", ", lengths)}'");
        return length;
    }

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "...";
}
