using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Sandlock.Tests.TestSupport;

/// <summary>
/// A local HTTP/1.1 server whose bodies are large and framed every way a response can be: <c>GET /fixed/N</c> sends
/// N bytes with a Content-Length, <c>/chunked/N</c> the same bytes in chunks of uneven sizes, <c>/close/N</c> without
/// a length, closing after them; <c>/stall/N</c> promises 2N bytes, sends N and waits; any other <c>GET</c> gets its
/// request target back as the body; <c>POST /upload</c> answers with the length and SHA-256 of the body it read
/// (Content-Length or chunked). The bytes of N are <see cref="Body"/>(N). It counts the connections it accepted and
/// records each request head.
/// </summary>
public sealed class BodyHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private int _connections;

    public BodyHttpServer()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Each request's line and header lines as received, joined by CRLF.</summary>
    public ConcurrentQueue<string> Heads { get; } = new();

    /// <summary>Set once the peer of a <c>/stall/N</c> response closed its connection.</summary>
    public TaskCompletionSource StallEnded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static byte[] Body(int length)
    {
        var body = new byte[length];
        new Random(length).NextBytes(body);
        return body;
    }

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try { client = await _listener.AcceptSocketAsync(); }
            catch (Exception) { return; }
            Interlocked.Increment(ref _connections);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        await using (var stream = new BufferedStream(new NetworkStream(client), 64 * 1024))
        {
            try
            {
                while (await ReadLineAsync(stream) is { Length: > 0 } requestLine)
                {
                    var headers = new List<string>();
                    while (await ReadLineAsync(stream) is { Length: > 0 } header) headers.Add(header);
                    Heads.Enqueue(string.Join("\r\n", [requestLine, .. headers]));
                    var (method, path) = (requestLine.Split(' ')[0], requestLine.Split(' ')[1]);
                    var body = await ReadBodyAsync(stream, headers);
                    if (method == "POST")
                    {
                        await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: {0}\r\n\r\n", Encoding.ASCII.GetBytes($"{body.Length} {Sha256(body)}"));
                        continue;
                    }
                    var parts = path.Split('/');
                    if (parts.Length != 3 || !int.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var size))
                    {
                        await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: {0}\r\n\r\n", Encoding.UTF8.GetBytes(path));
                        continue;
                    }
                    var data = Body(size);
                    switch (parts[1])
                    {
                        case "fixed":
                            await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: {0}\r\n\r\n", data);
                            break;
                        case "chunked":
                            await WriteChunkedAsync(stream, data);
                            break;
                        case "stall":
                            // Promises twice the bytes, sends half, then waits for the other side to close.
                            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {2 * data.Length}\r\n\r\n"));
                            await stream.WriteAsync(data);
                            await stream.FlushAsync();
                            while (await stream.ReadAsync(new byte[1]) > 0) { }
                            StallEnded.TrySetResult();
                            return;
                        default:
                            await WriteAsync(stream, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", data);
                            return;
                    }
                }
            }
            catch (IOException) { }
        }
    }

    private static async Task WriteAsync(Stream stream, string head, byte[] body)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, head, body.Length)));
        await stream.WriteAsync(body);
        await stream.FlushAsync();
    }

    private static async Task WriteChunkedAsync(Stream stream, byte[] data)
    {
        await stream.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray());
        int[] sizes = [1 << 20, 777, 3, 300_000];
        for (int at = 0, i = 0; at < data.Length; i++)
        {
            var size = Math.Min(sizes[i % sizes.Length], data.Length - at);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"{size:x};ext=1\r\n"));
            await stream.WriteAsync(data.AsMemory(at, size));
            await stream.WriteAsync("\r\n"u8.ToArray());
            at += size;
        }
        await stream.WriteAsync("0\r\nX-Trailer: 1\r\n\r\n"u8.ToArray());
        await stream.FlushAsync();
    }

    private static async Task<byte[]> ReadBodyAsync(Stream stream, List<string> headers)
    {
        if (headers.Any(h => h.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase)))
        {
            var body = new MemoryStream();
            while (Convert.ToInt32((await ReadLineAsync(stream))!.Split(';')[0], 16) is var size and > 0)
            {
                var chunk = new byte[size];
                await stream.ReadExactlyAsync(chunk);
                body.Write(chunk);
                await ReadLineAsync(stream);
            }
            while (await ReadLineAsync(stream) is { Length: > 0 }) { }
            return body.ToArray();
        }
        var length = headers.Where(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)).Select(h => int.Parse(h[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        var fixedBody = new byte[length];
        await stream.ReadExactlyAsync(fixedBody);
        return fixedBody;
    }

    private static async Task<string?> ReadLineAsync(Stream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one) == 0) return line.Length == 0 ? null : throw new IOException("the connection ended inside a line");
            if (one[0] == '\n') return line.ToString().TrimEnd('\r');
            line.Append((char)one[0]);
        }
    }

    public void Dispose() => _listener.Stop();
}
