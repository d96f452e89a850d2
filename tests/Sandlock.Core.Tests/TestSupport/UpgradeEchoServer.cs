using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sandlock.Tests.TestSupport;

/// <summary>
/// A local server that accepts a WebSocket upgrade on any path with 101 Switching Protocols, then echoes every
/// byte it receives until the client half-closes, and closes. It records each request head.
/// </summary>
public sealed class UpgradeEchoServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public UpgradeEchoServer()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<string> Heads { get; } = new();

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try { client = await _listener.AcceptSocketAsync(); }
            catch (Exception) { return; }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            try
            {
                var head = new StringBuilder();
                var one = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    if (await client.ReceiveAsync(one) == 0) return;
                    head.Append((char)one[0]);
                }
                Heads.Enqueue(head.ToString());
                await client.SendAsync("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"u8.ToArray());
                var buffer = new byte[64 * 1024];
                int read;
                while ((read = await client.ReceiveAsync(buffer)) > 0)
                    for (var sent = 0; sent < read;) sent += await client.SendAsync(buffer.AsMemory(sent, read - sent));
                client.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException) { }
        }
    }

    public void Dispose() => _listener.Stop();
}
