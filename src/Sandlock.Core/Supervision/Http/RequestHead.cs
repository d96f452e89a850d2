using System.Globalization;
using System.Text.RegularExpressions;

namespace Sandlock.Supervision.Http;

/// <summary>A request line and its headers, as the sandboxed client sent them (HTTP/1.0 or 1.1).</summary>
internal sealed partial class RequestHead
{
    public required string Method { get; init; }
    /// <summary>The request target as sent: origin form (<c>/path?q</c>), absolute form (<c>http://host/path</c>), or for CONNECT an authority.</summary>
    public required string Target { get; init; }
    public required Version Version { get; init; }
    public required HeaderFields Headers { get; init; }

    /// <summary>The path and query (origin form, also when the client sent the absolute form).</summary>
    public required string PathAndQuery { get; init; }

    /// <summary>The authority the request names: the absolute form's (RFC 9112 3.2.2: its Host is then ignored), else the Host header; null when neither.</summary>
    public required string? Authority { get; init; }

    public bool KeepAlive => Version >= new Version(1, 1) ? !Headers.HasToken("Connection", "close") : Headers.HasToken("Connection", "keep-alive");

    /// <summary>An HTTP/1.0 client: it keeps a connection only when the response names keep-alive (RFC 9112 9.3).</summary>
    public bool IsHttp10 => Version < new Version(1, 1);

    /// <summary>
    /// Whether the request asks to switch protocols: an Upgrade field counts only when Connection lists it, and never
    /// from HTTP/1.0 (RFC 9110 7.8); a stray one is dropped as hop-by-hop and the request is an ordinary one.
    /// </summary>
    public bool AsksUpgrade => !IsHttp10 && Headers["Upgrade"] is not null && Headers.HasToken("Connection", "upgrade");

    /// <summary>This request with the path and query the server is to get.</summary>
    public RequestHead WithPath(string pathAndQuery) =>
        new() { Method = Method, Target = Target, Version = Version, Headers = Headers, PathAndQuery = pathAndQuery, Authority = Authority };

    /// <summary>
    /// The next request head, or null when the client closed the connection between requests. Throws
    /// <see cref="InvalidDataException"/> for a head the proxy does not pass: a request line, target, Host or
    /// framing that servers could read otherwise than the proxy.
    /// </summary>
    public static async ValueTask<RequestHead?> ReadAsync(MessageInput input, CancellationToken cancel)
    {
        var line = await input.ReadLineAsync(HeaderFields.MaxLine, cancel).ConfigureAwait(false);
        // RFC 9112 2.2: ignore at least one empty line before a request line.
        while (line is "") line = await input.ReadLineAsync(HeaderFields.MaxLine, cancel).ConfigureAwait(false);
        if (line is null) return null;
        var parts = line.Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || !parts[0].All(c => char.IsAsciiLetterUpper(c) || c == '-') || parts[1].Length == 0 || parts[1].Any(char.IsControl)
            || parts[2] is not ("HTTP/1.1" or "HTTP/1.0"))
            throw new InvalidDataException($"not an HTTP/1.0 or HTTP/1.1 request line: '{HeaderFields.Shorten(line)}'");
        var headers = await HeaderFields.ReadAsync(input, cancel, request: true).ConfigureAwait(false);
        var hosts = headers.All("Host").ToList();
        // RFC 9112 3.2: more than one Host, or an invalid one, is a 400.
        if (hosts.Count > 1) throw new InvalidDataException("more than one Host field");
        if (hosts.Count == 1 && !IsAuthority(hosts[0])) throw new InvalidDataException($"the Host field '{HeaderFields.Shorten(hosts[0])}' is not a host name or address with an optional port");
        var (authority, pathAndQuery) = ReadTarget(parts[0], parts[1]);
        var head = new RequestHead
        {
            Method = parts[0], Target = parts[1], Version = parts[2] == "HTTP/1.1" ? new Version(1, 1) : new Version(1, 0), Headers = headers,
            PathAndQuery = pathAndQuery, Authority = authority ?? (hosts.Count == 1 ? hosts[0] : null),
        };
        _ = head.BodyLength();
        return head;
    }

    /// <summary>The authority (absolute form, CONNECT) and the origin-form path and query of a request target.</summary>
    private static (string? Authority, string PathAndQuery) ReadTarget(string method, string target)
    {
        if (target.StartsWith('/')) return (null, target);
        if (method == "CONNECT") return IsAuthority(target) ? (target, "/") : throw new InvalidDataException($"the CONNECT target '{HeaderFields.Shorten(target)}' is not a host and port");
        var scheme = target.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0 || target[..scheme].ToLowerInvariant() is not ("http" or "https"))
            throw new InvalidDataException($"the request target '{HeaderFields.Shorten(target)}' is neither a path nor an http(s) URL");
        var rest = target[(scheme + 3)..];
        var end = rest.IndexOfAny(['/', '?']);
        var authority = end < 0 ? rest : rest[..end];
        // Userinfo (user@host) is deprecated and read differently by servers (RFC 9110 4.2.4).
        if (!IsAuthority(authority)) throw new InvalidDataException($"the request target '{HeaderFields.Shorten(target)}' does not name a host name or address with an optional port");
        var path = end < 0 ? "/" : rest[end..];
        return (authority, path.StartsWith('?') ? "/" + path : path);
    }

    private static bool IsAuthority(string text) => AuthorityPattern().IsMatch(text);

    [GeneratedRegex(@"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:[0-9]{1,5})?\z")]
    private static partial Regex AuthorityPattern();

    /// <summary>The body's length: <see cref="BodyRelay.Chunked"/> when chunked, 0 when none; throws when the framing is ambiguous.</summary>
    public long BodyLength()
    {
        if (Headers.All("Transfer-Encoding").Any())
        {
            // RFC 9112 6.1: HTTP/1.0 has no transfer codings; its framing is faulty.
            if (IsHttp10) throw new InvalidDataException("Transfer-Encoding in an HTTP/1.0 request");
            if (Headers.All("Content-Length").Any()) throw new InvalidDataException("both Transfer-Encoding and Content-Length");
            var codings = Headers.Tokens("Transfer-Encoding").ToList();
            if (codings.Count != 1 || !codings[0].Equals("chunked", StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"unsupported Transfer-Encoding '{string.Join(", ", codings)}': only 'chunked' is passed");
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
