using System.Globalization;

namespace Sandlock.Supervision.Http;

/// <summary>A request line and its headers, as the sandboxed client sent them (HTTP/1.0 or 1.1).</summary>
internal sealed class RequestHead
{
    public required string Method { get; init; }
    /// <summary>The request target as sent: origin form (<c>/path?q</c>) or absolute form (<c>http://host/path</c>).</summary>
    public required string Target { get; init; }
    public required Version Version { get; init; }
    public required HeaderFields Headers { get; init; }

    /// <summary>The path and query to forward (origin form, also when the client sent the absolute form).</summary>
    public string PathAndQuery => Uri.TryCreate(Target, UriKind.Absolute, out var uri) && Target.Contains("://", StringComparison.Ordinal)
        ? uri.PathAndQuery
        : Target;

    /// <summary>The authority the request names: the absolute form's, else the Host header; null when neither.</summary>
    public string? Authority => Target.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(Target, UriKind.Absolute, out var uri)
        ? uri.Authority
        : Headers["Host"];

    public bool KeepAlive => Version >= new Version(1, 1) ? !Headers.HasToken("Connection", "close") : Headers.HasToken("Connection", "keep-alive");

    /// <summary>An HTTP/1.0 client: it keeps a connection only when the response names keep-alive (RFC 9112 9.3).</summary>
    public bool IsHttp10 => Version < new Version(1, 1);

    /// <summary>
    /// Whether the request asks to switch protocols: an Upgrade field counts only when Connection lists it, and never
    /// from HTTP/1.0 (RFC 9110 7.8); a stray one is dropped as hop-by-hop and the request is an ordinary one.
    /// </summary>
    public bool AsksUpgrade => !IsHttp10 && Headers["Upgrade"] is not null && Headers.HasToken("Connection", "upgrade");

    /// <summary>The next request head, or null when the client closed the connection between requests.</summary>
    public static async ValueTask<RequestHead?> ReadAsync(MessageInput input, CancellationToken cancel)
    {
        var line = await input.ReadLineAsync(HeaderFields.MaxLine, cancel).ConfigureAwait(false);
        // RFC 9112 2.2: ignore at least one empty line before a request line.
        while (line is "") line = await input.ReadLineAsync(HeaderFields.MaxLine, cancel).ConfigureAwait(false);
        if (line is null) return null;
        var parts = line.Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || !parts[0].All(c => char.IsAsciiLetterUpper(c) || c == '-') || parts[1].Length == 0 || parts[1].Any(char.IsControl)
            || !parts[2].StartsWith("HTTP/", StringComparison.Ordinal) || !Version.TryParse(parts[2][5..], out var version) || version.Major != 1)
            throw new InvalidDataException($"not an HTTP/1.x request line: '{HeaderFields.Shorten(line)}'");
        var headers = await HeaderFields.ReadAsync(input, cancel).ConfigureAwait(false);
        return new RequestHead { Method = parts[0], Target = parts[1], Version = version, Headers = headers };
    }

    /// <summary>The body's length: <see cref="BodyRelay.Chunked"/> when chunked, 0 when none; throws when the framing is ambiguous.</summary>
    public long BodyLength()
    {
        if (Headers.All("Transfer-Encoding").Any())
        {
            if (Headers.All("Content-Length").Any()) throw new InvalidDataException("both Transfer-Encoding and Content-Length");
            var codings = Headers.Tokens("Transfer-Encoding").ToList();
            if (codings.Count != 1 || !codings[0].Equals("chunked", StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"unsupported Transfer-Encoding '{string.Join(", ", codings)}'");
            // HTTP/1.0 has no chunked coding (RFC 9112 6.1): a server may take the chunks as the body's bytes.
            if (IsHttp10) throw new InvalidDataException("a chunked body from an HTTP/1.0 client");
            return BodyRelay.Chunked;
        }
        return ContentLength(Headers) ?? 0;
    }

    /// <summary>The Content-Length fields' one value, null when there is none; throws when they are invalid or disagree.</summary>
    public static long? ContentLength(HeaderFields headers)
    {
        var lengths = headers.All("Content-Length").Distinct().ToList();
        if (lengths.Count == 0) return null;
        if (lengths.Count > 1 || !long.TryParse(lengths[0], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            throw new InvalidDataException($"invalid Content-Length '{string.Join(", ", lengths)}'");
        return length;
    }
}
