using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sandlock.Tests.TestSupport;

/// <summary>
/// A local HTTP/1.1 server, on 127.0.0.1 or another loopback address, that records what reaches it: the
/// connections it accepted and each request head (line and fields, joined by CRLF). Every request is answered
/// <c>200</c> with the body "METHOD TARGET", on a kept connection.
/// </summary>
public sealed class RecordingHttpServer : IDisposable
{
    private readonly TcpListener _listener;
    private int _connections;

    public RecordingHttpServer(string address = "127.0.0.1")
    {
        _listener = new TcpListener(IPAddress.Parse(address), 0);
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    public ConcurrentQueue<string> Heads { get; } = new();

    /// <summary>The request lines received.</summary>
    public IEnumerable<string> RequestLines => Heads.Select(h => h.Split("\r\n")[0]);

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
        await using (var stream = new NetworkStream(client))
        {
            try
            {
                while (await ReadLineAsync(stream) is { Length: > 0 } requestLine)
                {
                    var headers = new List<string>();
                    while (await ReadLineAsync(stream) is { Length: > 0 } header) headers.Add(header);
                    Heads.Enqueue(string.Join("\r\n", [requestLine, .. headers]));
                    await SkipBodyAsync(stream, headers);
                    var body = Encoding.ASCII.GetBytes(string.Join(' ', requestLine.Split(' ')[..2]));
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n"));
                    await stream.WriteAsync(body);
                }
            }
            catch (IOException) { }
        }
    }

    private static async Task SkipBodyAsync(Stream stream, List<string> headers)
    {
        string? Field(string name) => headers.FirstOrDefault(h => h.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim();
        if (Field("Transfer-Encoding") is not null)
        {
            while (Convert.ToInt32((await ReadLineAsync(stream))!.Split(';')[0], 16) is var size and > 0)
            {
                await stream.ReadExactlyAsync(new byte[size + 2]);
            }
            while (await ReadLineAsync(stream) is { Length: > 0 }) { }
        }
        else if (Field("Content-Length") is { } length)
        {
            await stream.ReadExactlyAsync(new byte[int.Parse(length, System.Globalization.CultureInfo.InvariantCulture)]);
        }
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
