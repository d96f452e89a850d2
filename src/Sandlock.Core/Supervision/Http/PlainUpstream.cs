using System.Net.Sockets;
using Sandlock.Interop;

namespace Sandlock.Supervision.Http;

/// <summary>
/// The server side of one plain-HTTP intercepted connection. The proxy writes each allowed request's head itself
/// and parses the response's, and the bodies go socket to socket through a native buffer (<see cref="BodyRelay"/>), so the
/// bulk of a download never passes through managed buffers. One server connection serves the client connection
/// while both sides keep theirs open.
/// </summary>
internal sealed class PlainUpstream(Socket client, MessageInput clientInput, HttpProxy.Intercepted target, StopSignal stop) : IDisposable
{
    private static readonly TimeSpan ConnectWait = TimeSpan.FromSeconds(30);
    private static readonly HashSet<string> Idempotent = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"];

    private Socket? _server;
    private MessageInput? _serverInput;
    private BodyRelay? _requests, _responses;

    /// <summary>
    /// Sends one request the rules passed and relays its response; true when the client's connection can carry
    /// another request. With <paramref name="upgrade"/> the request asks the server for a WebSocket, and once the
    /// server switches, the connection is relayed raw both ways until both sides closed it. Throws
    /// <see cref="HttpRequestException"/> when the server fails before the response started (the client can still
    /// be answered then).
    /// </summary>
    public async Task<bool> ExchangeAsync(RequestHead head, string authority, string? credential, long requestLength, bool upgrade, CancellationToken cancel)
    {
        var request = HeadText.Request(head, authority, credential, requestLength, upgrade);
        var response = await SendAsync(request, requestLength, requestLength == 0 && Idempotent.Contains(head.Method), upgrade, cancel).ConfigureAwait(false);
        if (response.Status == 101)
        {
            await BodyRelay.SendAllAsync(client, HeadText.Switch(response), cancel).ConfigureAwait(false);
            await TunnelAsync(cancel).ConfigureAwait(false);
            return false;
        }

        long length;
        try { length = response.BodyLength(head.Method); }
        catch (InvalidDataException e) { throw new HttpRequestException($"invalid response: {e.Message}", e); }
        var forwardCodings = response.Headers.All("Transfer-Encoding").Any() && head.Version >= new Version(1, 1);
        var unchunk = length == BodyRelay.Chunked && !forwardCodings;
        var keepAlive = head.KeepAlive && length != BodyRelay.UntilClose && !unchunk;
        await BodyRelay.SendAllAsync(client, HeadText.Response(response, forwardCodings, keepAlive, head.IsHttp10), cancel).ConfigureAwait(false);
        await _responses!.ForwardAsync(length, unchunk, cancel).ConfigureAwait(false);
        if (!response.KeepAlive || length == BodyRelay.UntilClose) CloseServer();
        return keepAlive;
    }

    /// <summary>Sends the request (head and body) and reads the final response head.</summary>
    private async Task<ResponseHead> SendAsync(byte[] request, long requestLength, bool retryable, bool upgrade, CancellationToken cancel)
    {
        for (var attempt = 0; ; attempt++)
        {
            var reused = _server is not null;
            await ConnectAsync(cancel).ConfigureAwait(false);
            try
            {
                try { await BodyRelay.SendAllAsync(_server!, request, cancel).ConfigureAwait(false); }
                catch (SocketException e) { throw new HttpRequestException(e.Message, e); }
                await _requests!.ForwardAsync(requestLength, unchunk: false, cancel).ConfigureAwait(false);
                try
                {
                    var response = await ResponseHead.ReadAsync(_serverInput!, cancel).ConfigureAwait(false);
                    // Interim responses (100 Continue: the proxy answered the client's Expect itself) are not relayed.
                    while (response.IsInterim) response = await ResponseHead.ReadAsync(_serverInput!, cancel).ConfigureAwait(false);
                    if (response.Status == 101 && !(upgrade && response.Headers.Tokens("Upgrade").SequenceEqual(["websocket"], StringComparer.OrdinalIgnoreCase)))
                        throw new InvalidDataException($"the server switched protocols to '{response.Headers["Upgrade"]}', which was not asked for");
                    return response;
                }
                catch (Exception e) when (e is EndOfStreamException or InvalidDataException or SocketException or IOException)
                {
                    throw new HttpRequestException(e.Message, e);
                }
            }
            // A kept connection the server closed meanwhile: an idempotent request without a body is sent again on a new one.
            catch (HttpRequestException) when (reused && attempt == 0 && retryable)
            {
                CloseServer();
            }
        }
    }

    private async Task ConnectAsync(CancellationToken cancel)
    {
        if (_server is not null) return;
        var server = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            wait.CancelAfter(ConnectWait);
            await server.ConnectAsync(target.Address, target.Port, wait.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancel.IsCancellationRequested)
        {
            server.Dispose();
            throw new HttpRequestException(e is SocketException ? e.Message : $"no connection within {ConnectWait.TotalSeconds:F0} s", e);
        }
        _server = server;
        _serverInput = new MessageInput(new NetworkStream(server, ownsSocket: false));
        _requests = new BodyRelay(clientInput, client, server, stop);
        _responses = new BodyRelay(_serverInput, server, client, stop);
    }

    /// <summary>
    /// Relays the switched connection both ways, bytes buffered after the heads first. A side that closes is
    /// passed on as a half-close; the tunnel ends when both have, or either fails.
    /// </summary>
    private async Task TunnelAsync(CancellationToken cancel)
    {
        var server = _server!;
        async Task OneWayAsync(BodyRelay relay, Socket to)
        {
            try
            {
                await relay.ForwardAsync(BodyRelay.UntilClose, unchunk: false, cancel).ConfigureAwait(false);
                Shutdown(to, SocketShutdown.Send);
            }
            catch
            {
                // Ends the other direction too: its sockets report the end once shut down.
                Shutdown(client, SocketShutdown.Both);
                Shutdown(server, SocketShutdown.Both);
                throw;
            }
        }
        try { await Task.WhenAll(OneWayAsync(_requests!, server), OneWayAsync(_responses!, client)).ConfigureAwait(false); }
        finally { CloseServer(); }
    }

    private static void Shutdown(Socket socket, SocketShutdown how)
    {
        try { socket.Shutdown(how); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { /* already closed by its peer or the proxy */ }
    }

    private void CloseServer()
    {
        _requests?.Dispose();
        _responses?.Dispose();
        _server?.Dispose();
        (_server, _serverInput, _requests, _responses) = (null, null, null, null);
    }

    public void Dispose() => CloseServer();
}
