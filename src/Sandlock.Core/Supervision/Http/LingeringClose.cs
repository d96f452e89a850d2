using System.Net.Sockets;

namespace Sandlock.Supervision.Http;

/// <summary>
/// Ends a sandbox's connection after its last response: the proxy's side is shut down first, then what the client
/// still sends (the body of a refused request, requests after a <c>Connection: close</c>) is read and dropped until
/// it closes too. Closed with unread bytes, the socket would send a reset instead of the end, and a reset can
/// discard the last response before the client read it (RFC 9112 9.6).
/// </summary>
internal static class LingeringClose
{
    // A client that goes on sending, or keeps its side open, is cut off after this much.
    private const int MaxDrained = 4 << 20;
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(Socket client, CancellationToken stop)
    {
        try
        {
            client.Shutdown(SocketShutdown.Send);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
            wait.CancelAfter(MaxWait);
            var buffer = new byte[64 * 1024];
            for (var drained = 0; drained < MaxDrained;)
            {
                var read = await client.ReceiveAsync(buffer, SocketFlags.None, wait.Token).ConfigureAwait(false);
                if (read == 0) return;
                drained += read;
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client reset or is too slow to close: the socket closes now, as it would have.
        }
    }
}
