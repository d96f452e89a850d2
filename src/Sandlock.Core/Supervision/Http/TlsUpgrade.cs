using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Sandlock.Supervision.Http;

/// <summary>
/// A WebSocket upgrade over intercepted TLS. HttpClient does not hand over a switched connection, so the proxy opens
/// a TLS connection of its own to the server (its certificate checked against this process's trust store, as
/// HttpClient's is), writes the request and reads the response itself, and after a 101 copies the decrypted bytes
/// both ways until both sides closed. Any other response is relayed, and the connection then closed.
/// </summary>
internal static class TlsUpgrade
{
    private static readonly TimeSpan ConnectWait = TimeSpan.FromSeconds(30);

    /// <summary>Throws <see cref="HttpRequestException"/> when the server fails before its response started.</summary>
    public static async Task RunAsync(RequestHead head, string host, string authority, string? credential, long requestLength,
        MessageInput clientInput, Socket clientSocket, Stream client, HttpProxy.Intercepted target, CancellationToken cancel)
    {
        using var socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            wait.CancelAfter(ConnectWait);
            await socket.ConnectAsync(target.Address, target.Port, wait.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException || e is OperationCanceledException && !cancel.IsCancellationRequested)
        {
            throw new HttpRequestException(e is SocketException ? e.Message : $"no connection within {ConnectWait.TotalSeconds:F0} s", e);
        }
        await using var server = new SslStream(new NetworkStream(socket, ownsSocket: false));
        var serverInput = new MessageInput(server);
        ResponseHead response;
        try
        {
            await server.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                ApplicationProtocols = [SslApplicationProtocol.Http11],
            }, cancel).ConfigureAwait(false);
            await server.WriteAsync(HeadText.Request(head, authority, credential, requestLength, upgrade: true), cancel).ConfigureAwait(false);
            await new BodyRelay(clientInput, server).ForwardAsync(requestLength, unchunk: false, cancel).ConfigureAwait(false);
            response = await ResponseHead.ReadAsync(serverInput, cancel).ConfigureAwait(false);
            while (response.IsInterim) response = await ResponseHead.ReadAsync(serverInput, cancel).ConfigureAwait(false);
            if (response.Status == 101 && !response.Headers.Tokens("Upgrade").SequenceEqual(["websocket"], StringComparer.OrdinalIgnoreCase))
                throw new InvalidDataException($"the server switched protocols to '{response.Headers["Upgrade"]}', not to a WebSocket");
        }
        catch (Exception e) when (e is SocketException or AuthenticationException or IOException or InvalidDataException)
        {
            throw new HttpRequestException(e.Message, e);
        }

        if (response.Status != 101)
        {
            var length = response.BodyLength(head.Method);
            var forwardCodings = head.Version >= new Version(1, 1);
            await client.WriteAsync(HeadText.Response(response, forwardCodings, keepAlive: false, http10: false), cancel).ConfigureAwait(false);
            await new BodyRelay(serverInput, client).ForwardAsync(length, unchunk: length == BodyRelay.Chunked && !forwardCodings, cancel).ConfigureAwait(false);
            return;
        }
        await client.WriteAsync(HeadText.Switch(response), cancel).ConfigureAwait(false);
        await Task.WhenAll(
            OneWayAsync(new BodyRelay(clientInput, server), server, socket),
            OneWayAsync(new BodyRelay(serverInput, client), client, clientSocket)).ConfigureAwait(false);

        async Task OneWayAsync(BodyRelay relay, Stream to, Socket toSocket)
        {
            try
            {
                await relay.ForwardAsync(BodyRelay.UntilClose, unchunk: false, cancel).ConfigureAwait(false);
                // close_notify, then the TCP half-close: the other side reads the end and may still answer.
                if (to is SslStream tls) await tls.ShutdownAsync().ConfigureAwait(false);
                Shutdown(toSocket, SocketShutdown.Send);
            }
            catch
            {
                Shutdown(clientSocket, SocketShutdown.Both);
                Shutdown(socket, SocketShutdown.Both);
                throw;
            }
        }
    }

    private static void Shutdown(Socket socket, SocketShutdown how)
    {
        try { socket.Shutdown(how); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { /* already closed by its peer or the proxy */ }
    }
}
