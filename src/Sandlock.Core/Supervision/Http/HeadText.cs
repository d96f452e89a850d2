using System.Text;

namespace Sandlock.Supervision.Http;

/// <summary>The message heads the proxy writes: end-to-end headers as received, hop-by-hop ones and framing its own.</summary>
internal static class HeadText
{
    /// <summary>The head of a 101 that switches to a WebSocket.</summary>
    public static byte[] Switch(ResponseHead response)
    {
        var text = new StringBuilder().Append("HTTP/1.1 101 ").Append(response.Reason).Append("\r\n");
        foreach (var (name, value) in response.Headers.Forwarded()) text.Append(name).Append(": ").Append(value).Append("\r\n");
        return Encoding.Latin1.GetBytes(text.Append("Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n").ToString());
    }

    /// <summary>A request head as the server gets it: its Host, credentials and framing written by the proxy.</summary>
    public static byte[] Request(RequestHead head, string authority, string? credential, long length, bool upgrade)
    {
        var text = new StringBuilder().Append(head.Method).Append(' ').Append(head.PathAndQuery).Append(" HTTP/1.1\r\n");
        // The server sees the host the sandbox named.
        text.Append("Host: ").Append(authority).Append("\r\n");
        foreach (var (name, value) in head.Headers.Forwarded())
            if (credential is null || !name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
                text.Append(name).Append(": ").Append(value).Append("\r\n");
        if (credential is not null) text.Append("Authorization: ").Append(credential).Append("\r\n");
        if (length == BodyRelay.Chunked) text.Append("Transfer-Encoding: chunked\r\n");
        else if (head.Headers["Content-Length"] is not null) text.Append("Content-Length: ").Append(length).Append("\r\n");
        if (upgrade) text.Append("Connection: Upgrade\r\nUpgrade: websocket\r\n");
        return Encoding.Latin1.GetBytes(text.Append("\r\n").ToString());
    }

    /// <summary>A response head as the client gets it, framed for what the proxy forwards.</summary>
    /// <remarks>A kept connection is named keep-alive for an HTTP/1.0 client (<paramref name="http10"/>), which would otherwise take it as closing.</remarks>
    public static byte[] Response(ResponseHead response, bool forwardCodings, bool keepAlive, bool http10)
    {
        var text = new StringBuilder().Append("HTTP/1.1 ").Append(response.Status).Append(' ').Append(response.Reason).Append("\r\n");
        foreach (var (name, value) in response.Headers.Forwarded()) text.Append(name).Append(": ").Append(value).Append("\r\n");
        var codings = response.Headers.Tokens("Transfer-Encoding").ToList();
        if (codings.Count > 0)
        {
            if (forwardCodings) text.Append("Transfer-Encoding: ").Append(string.Join(", ", codings)).Append("\r\n");
        }
        else if (response.Status is >= 200 and not 204 && RequestHead.ContentLength(response.Headers) is { } length)
        {
            text.Append("Content-Length: ").Append(length).Append("\r\n");
        }
        if (!keepAlive) text.Append("Connection: close\r\n");
        else if (http10) text.Append("Connection: keep-alive\r\n");
        return Encoding.Latin1.GetBytes(text.Append("\r\n").ToString());
    }
}
