using System.Globalization;

namespace Sandlock.Supervision.Http;

/// <summary>A status line and its headers, as the server sent them.</summary>
internal sealed class ResponseHead
{
    public required Version Version { get; init; }
    public required int Status { get; init; }
    public required string Reason { get; init; }
    public required HeaderFields Headers { get; init; }

    /// <summary>A 1xx other than 101: an interim response, followed by the real one.</summary>
    public bool IsInterim => Status is >= 100 and < 200 and not 101;

    /// <summary>Whether the server keeps the connection open after this response.</summary>
    public bool KeepAlive => Version >= new Version(1, 1) ? !Headers.HasToken("Connection", "close") : Headers.HasToken("Connection", "keep-alive");

    /// <summary>
    /// The body's framing (RFC 9112 6.3) as <see cref="BodyRelay"/> takes it: a length (0 for none),
    /// <see cref="BodyRelay.Chunked"/>, or <see cref="BodyRelay.UntilClose"/>.
    /// </summary>
    public long BodyLength(string requestMethod)
    {
        if (requestMethod == "HEAD" || Status is < 200 or 204 or 304) return 0;
        if (Headers.All("Transfer-Encoding").Any())
            return Headers.Tokens("Transfer-Encoding").LastOrDefault() is { } last && last.Equals("chunked", StringComparison.OrdinalIgnoreCase)
                ? BodyRelay.Chunked
                : BodyRelay.UntilClose;
        return RequestHead.ContentLength(Headers) ?? BodyRelay.UntilClose;
    }

    /// <summary>The next response head; throws <see cref="EndOfStreamException"/> when the server closed before sending one.</summary>
    public static async ValueTask<ResponseHead> ReadAsync(MessageInput input, CancellationToken cancel)
    {
        var line = await input.ReadLineAsync(HeaderFields.MaxLine, cancel).ConfigureAwait(false)
            ?? throw new EndOfStreamException("the server closed the connection without a response");
        var parts = line.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/", StringComparison.Ordinal) || !Version.TryParse(parts[0][5..], out var version)
            || version.Major != 1 || parts[1].Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status < 100)
            throw new InvalidDataException($"not an HTTP/1.x status line: '{HeaderFields.Shorten(line)}'");
        var headers = await HeaderFields.ReadAsync(input, cancel).ConfigureAwait(false);
        return new ResponseHead { Version = version, Status = status, Reason = parts.Length == 3 ? parts[2] : "", Headers = headers };
    }
}
