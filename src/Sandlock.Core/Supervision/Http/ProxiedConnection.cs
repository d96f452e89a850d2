using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Sandlock.Interop;
using Sandlock.Policy;
using Sandlock.Supervision.Network;

namespace Sandlock.Supervision.Http;

/// <summary>
/// One intercepted connection: TLS (told by its first byte) is ended here with a certificate of the sandbox's CA;
/// then each HTTP/1.x request is checked against the rules and either refused with a 403 that names the rule or
/// sent on to where the sandbox connected. Plain HTTP goes to the server through <see cref="PlainUpstream"/>,
/// which moves bodies socket to socket; over TLS the bytes are decrypted here anyway, and HttpClient speaks
/// to the server (it checks the server's certificate, pools connections, parses and frames the response).
/// </summary>
internal sealed class ProxiedConnection(
    HttpInterception interception, SupervisedSession session, HttpMessageInvoker upstream, Socket client, HttpProxy.Intercepted target, StopSignal stopSignal)
{
    private const byte TlsHandshake = 0x16;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private Stream _stream = null!;
    private bool _tls;
    private string? _serverName;
    // Names resolved for this connection: a keep-alive client names the same host in every request.
    private readonly Dictionary<string, bool> _resolvedHere = new(StringComparer.Ordinal);

    public async Task RunAsync(CancellationToken stop)
    {
        _stream = new NetworkStream(client, ownsSocket: false);
        var first = new byte[1];
        if (await client.ReceiveAsync(first, SocketFlags.Peek, stop).ConfigureAwait(false) == 0) return;
        if (first[0] == TlsHandshake && !await StartTlsAsync(stop).ConfigureAwait(false)) return;
        var input = new MessageInput(_stream);
        using var plain = _tls ? null : new PlainUpstream(client, input, target, stopSignal);
        for (var served = 0; !stop.IsCancellationRequested; served++)
        {
            RequestHead? head;
            try { head = await RequestHead.ReadAsync(input, stop).ConfigureAwait(false); }
            catch (InvalidDataException e)
            {
                await WriteTextAsync(400, "Bad Request", $"sandlock: the HTTP proxy cannot read the request: {e.Message}\n", stop).ConfigureAwait(false);
                return;
            }
            // .NET checks the certificate only once the handshake is done, then just closes the connection.
            if (head is null && served == 0 && _tls) DenyCertificate("the client ended the TLS connection before sending a request, so it most likely");
            if (head is null || !await ForwardAsync(head, input, plain, stop).ConfigureAwait(false)) return;
        }
    }

    private async Task<bool> StartTlsAsync(CancellationToken stop)
    {
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsServerAsync((_, hello, _, _) =>
            {
                _serverName = string.IsNullOrEmpty(hello.ServerName) ? null : ServerNameOf(hello.ServerName);
                return ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = interception.Authority.LeafFor(_serverName ?? target.Address.ToString()),
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                });
            }, null, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException && !stop.IsCancellationRequested)
        {
            DenyCertificate("the client");
            await ssl.DisposeAsync().ConfigureAwait(false);
            return false;
        }
        _stream = ssl;
        _tls = true;
        return true;
    }

    private void DenyCertificate(string who) =>
        session.Deny(new Denial("http", $"TLS to {_serverName ?? target.Address.ToString()}:{target.Port}", target.Pid,
            $"{who} did not accept the sandbox's certificate: it must trust the sandbox's CA (the bundle SSL_CERT_FILE names); a client that pins certificates cannot be intercepted"));

    /// <summary>Handles one request; false when the connection must close afterwards.</summary>
    private async Task<bool> ForwardAsync(RequestHead head, MessageInput input, PlainUpstream? plain, CancellationToken stop)
    {
        var authority = head.Authority ?? _serverName ?? AddressText(target.Address);
        string host;
        try { host = HttpRule.CanonicalHost(HostOf(AsUtf8(authority))); }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            var refused = $"{head.Method} {HeaderFields.Shorten(authority)}{HeaderFields.Shorten(head.PathAndQuery)}";
            session.Deny(new Denial("http", refused, target.Pid, $"the host is not a valid name: {e.Message}"));
            await WriteTextAsync(400, "Bad Request", $"sandlock: {refused} refused: the host is not a valid name: {e.Message}\n", stop).ConfigureAwait(false);
            return false;
        }
        IReadOnlyList<string> readings;
        try { readings = HttpPaths.Readings(head.PathAndQuery); }
        catch (InvalidDataException e)
        {
            var refused = $"{head.Method} {host}{HeaderFields.Shorten(head.PathAndQuery)}";
            session.Deny(new Denial("http", refused, target.Pid, e.Message));
            await WriteTextAsync(400, "Bad Request", $"sandlock: {refused} refused: {e.Message}\n", stop).ConfigureAwait(false);
            return false;
        }
        var shown = $"{head.Method} {host}{readings[0]}";
        if (head.Method == "CONNECT")
            return await RefuseAsync(shown, "tunnels (CONNECT) are not passed by the HTTP proxy", stop).ConfigureAwait(false);
        var upgrade = head.AsksUpgrade;
        // A WebSocket carries messages, not HTTP requests; another protocol (h2c) would carry requests the rules never see.
        if (upgrade && !head.Headers.Tokens("Upgrade").SequenceEqual(["websocket"], StringComparer.OrdinalIgnoreCase))
            return await RefuseAsync(shown, $"the upgrade to '{head.Headers["Upgrade"]}' is not passed: only WebSocket upgrades are", stop).ConfigureAwait(false);
        if (_tls && _serverName is not null && !host.Equals(_serverName, StringComparison.OrdinalIgnoreCase))
            return await RefuseAsync(shown, $"the Host header names {host} but the TLS server name is {_serverName}", stop).ConfigureAwait(false);
        if (!await ReachesAsync(host, stop).ConfigureAwait(false))
            return await RefuseAsync(shown, $"{host} is not where the connection went ({AddressText(target.Address)})", stop).ConfigureAwait(false);
        if (!interception.Access.Allows(head.Method, host, readings, out var reason))
            return await RefuseAsync(shown, reason, stop, $"; to allow it: --http-allow '{shown}' (allow under [http] in sandlock.toml)").ConfigureAwait(false);

        long length;
        try { length = head.BodyLength(); }
        catch (InvalidDataException e)
        {
            await WriteTextAsync(400, "Bad Request", $"sandlock: the HTTP proxy cannot read the request: {e.Message}\n", stop).ConfigureAwait(false);
            return false;
        }
        // An HTTP/1.0 client does not know 100 Continue (RFC 9110 10.1.1).
        if (length != 0 && !head.IsHttp10 && head.Headers.HasToken("Expect", "100-continue"))
        {
            await _stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), stop).ConfigureAwait(false);
            await _stream.FlushAsync(stop).ConfigureAwait(false);
        }
        var credential = interception.Credentials.GetValueOrDefault(host);
        if (upgrade && plain is null)
        {
            try { await TlsUpgrade.RunAsync(head, host, authority, credential, length, input, client, _stream, target, stop).ConfigureAwait(false); }
            catch (HttpRequestException e)
            {
                await WriteTextAsync(502, "Bad Gateway", $"sandlock: {shown}: the server at {AddressText(target.Address)}:{target.Port} failed: {e.Message}\n", stop).ConfigureAwait(false);
            }
            return false;
        }
        if (plain is not null)
        {
            try { return await plain.ExchangeAsync(head, authority, credential, length, upgrade, stop).ConfigureAwait(false); }
            catch (HttpRequestException e)
            {
                await WriteTextAsync(502, "Bad Gateway", $"sandlock: {shown}: the server at {AddressText(target.Address)}:{target.Port} failed: {e.Message}\n", stop).ConfigureAwait(false);
                return false;
            }
        }
        var body = new RequestBody(input, length);
        HttpRequestMessage request;
        try { request = BuildRequest(head, authority, credential, length, body); }
        catch (Exception e) when (e is FormatException or UriFormatException or ArgumentException or InvalidOperationException)
        {
            await WriteTextAsync(400, "Bad Request", $"sandlock: the HTTP proxy cannot forward {shown}: {e.Message}\n", stop).ConfigureAwait(false);
            return false;
        }
        using (request)
        {
            HttpResponseMessage response;
            try { response = await upstream.SendAsync(request, stop).ConfigureAwait(false); }
            catch (HttpRequestException e)
            {
                await WriteTextAsync(502, "Bad Gateway", $"sandlock: {shown}: the server at {AddressText(target.Address)}:{target.Port} failed: {e.Message}\n", stop).ConfigureAwait(false);
                return false;
            }
            using (response)
                return await RelayAsync(head, response, body.Complete, stop).ConfigureAwait(false);
        }
    }

    private HttpRequestMessage BuildRequest(RequestHead head, string authority, string? credential, long length, RequestBody body)
    {
        var request = new HttpRequestMessage(new HttpMethod(head.Method), new Uri($"https://{AddressText(target.Address)}:{target.Port}{head.PathAndQuery}"))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (length != 0)
        {
            request.Content = new StreamContent(body, 64 * 1024);
            if (length > 0) request.Content.Headers.ContentLength = length;
        }
        foreach (var (name, value) in head.Headers.Forwarded())
        {
            if (credential is not null && name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)) continue;
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            else
                request.Headers.TryAddWithoutValidation(name, value);
        }
        // The server sees the host the sandbox named; TLS to it uses that name too (HttpClient takes SNI from Host).
        request.Headers.Host = authority;
        if (credential is not null) request.Headers.TryAddWithoutValidation("Authorization", credential);
        return request;
    }

    private async Task<bool> RelayAsync(RequestHead head, HttpResponseMessage response, bool requestRead, CancellationToken stop)
    {
        var status = (int)response.StatusCode;
        var noBody = head.Method == "HEAD" || status is 204 or 304 || status < 200;
        var length = response.Content.Headers.ContentLength;
        var chunked = !noBody && length is null && head.Version >= HttpVersion.Version11;
        var keepAlive = head.KeepAlive && requestRead && (noBody || length is not null || chunked);
        var text = new StringBuilder($"HTTP/1.1 {status} {response.ReasonPhrase}\r\n");
        foreach (var (name, values) in response.Headers.NonValidated)
            if (!HeaderFields.ProxyWrites(name))
                foreach (var value in values) text.Append(name).Append(": ").Append(value).Append("\r\n");
        foreach (var (name, values) in response.Content.Headers.NonValidated)
            if (!HeaderFields.ProxyWrites(name))
                foreach (var value in values) text.Append(name).Append(": ").Append(value).Append("\r\n");
        if (length is { } n && (!noBody || head.Method == "HEAD")) text.Append("Content-Length: ").Append(n).Append("\r\n");
        if (chunked) text.Append("Transfer-Encoding: chunked\r\n");
        if (!keepAlive) text.Append("Connection: close\r\n");
        else if (head.IsHttp10) text.Append("Connection: keep-alive\r\n");
        text.Append("\r\n");
        await _stream.WriteAsync(Encoding.Latin1.GetBytes(text.ToString()), stop).ConfigureAwait(false);
        if (!noBody)
        {
            await using var content = await response.Content.ReadAsStreamAsync(stop).ConfigureAwait(false);
            if (chunked) await CopyChunkedAsync(content, stop).ConfigureAwait(false);
            else await CopyOverlappedAsync(content, stop).ConfigureAwait(false);
        }
        await _stream.FlushAsync(stop).ConfigureAwait(false);
        return keepAlive;
    }

    /// <summary>Reads the next block from the server while the last one is written to the sandbox.</summary>
    private async Task CopyOverlappedAsync(Stream content, CancellationToken stop)
    {
        const int Block = 512 * 1024;
        var (reading, writing) = (new byte[Block], new byte[Block]);
        var read = await content.ReadAsync(reading, stop).ConfigureAwait(false);
        while (read > 0)
        {
            (reading, writing) = (writing, reading);
            var write = _stream.WriteAsync(writing.AsMemory(0, read), stop);
            var next = content.ReadAsync(reading, stop);
            await write.ConfigureAwait(false);
            read = await next.ConfigureAwait(false);
        }
    }

    private async Task CopyChunkedAsync(Stream content, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await content.ReadAsync(buffer, stop).ConfigureAwait(false)) > 0)
        {
            await _stream.WriteAsync(Encoding.ASCII.GetBytes($"{read:x}\r\n"), stop).ConfigureAwait(false);
            await _stream.WriteAsync(buffer.AsMemory(0, read), stop).ConfigureAwait(false);
            await _stream.WriteAsync("\r\n"u8.ToArray(), stop).ConfigureAwait(false);
        }
        await _stream.WriteAsync("0\r\n\r\n"u8.ToArray(), stop).ConfigureAwait(false);
    }

    private async Task<bool> RefuseAsync(string shown, string reason, CancellationToken stop, string advice = "")
    {
        session.Deny(new Denial("http", shown, target.Pid, reason));
        await WriteTextAsync(403, "Forbidden", $"sandlock: {shown} refused: {reason}{advice}\n", stop).ConfigureAwait(false);
        return false;
    }

    private async Task WriteTextAsync(int status, string reason, string body, CancellationToken stop)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(head), stop).ConfigureAwait(false);
        await _stream.WriteAsync(bytes, stop).ConfigureAwait(false);
        await _stream.FlushAsync(stop).ConfigureAwait(false);
    }

    /// <summary>
    /// A request naming an address must go to it; one naming a host of the rules, to an address it was pinned to; any
    /// other name, to an address it resolves to here. Otherwise a Host header naming an allowed host (or one with
    /// credentials) would carry the request, and its credentials, to whatever address the sandbox connected to.
    /// </summary>
    private async Task<bool> ReachesAsync(string host, CancellationToken stop)
    {
        if (IPAddress.TryParse(host, out var address)) return NetworkRules.Normalize(address).Equals(target.Address);
        if (interception.PinnedHosts.TryGetValue(host, out var pinned)) return pinned.Contains(target.Address);
        if (_resolvedHere.TryGetValue(host, out var reached)) return reached;
        try
        {
            var resolved = await Dns.GetHostAddressesAsync(host, stop).ConfigureAwait(false);
            reached = resolved.Any(a => NetworkRules.Normalize(a).Equals(target.Address));
        }
        catch (Exception e) when (e is SocketException or ArgumentException) { reached = false; }
        return _resolvedHere[host] = reached;
    }

    /// <summary>
    /// A head's field (its bytes read as Latin-1) as UTF-8: a name sent in Unicode rather than in its ASCII form is
    /// matched as the server would read it. Throws <see cref="DecoderFallbackException"/> when it is not UTF-8.
    /// </summary>
    private static string AsUtf8(string field) => field.All(char.IsAscii) ? field : StrictUtf8.GetString(Encoding.Latin1.GetBytes(field));

    /// <summary>The TLS server name as rules compare hosts; one that is not a valid name stays as sent, and matches no Host.</summary>
    private static string ServerNameOf(string sent)
    {
        try { return HttpRule.CanonicalHost(sent); }
        catch (FormatException) { return sent.TrimEnd('.').ToLowerInvariant(); }
    }

    /// <summary>The host of an authority (<c>host</c>, <c>host:port</c>, <c>[v6]:port</c>), lower case, without a trailing dot.</summary>
    private static string HostOf(string authority)
    {
        var host = authority.StartsWith('[') ? authority[1..Math.Max(1, authority.IndexOf(']'))]
            : authority.LastIndexOf(':') is var colon and > 0 ? authority[..colon] : authority;
        return host.TrimEnd('.').ToLowerInvariant();
    }

    private static string AddressText(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}
