using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Sandlock.Tests.TestSupport;

/// <summary>
/// A small HTTP/1.1 server on 127.0.0.1 (optionally TLS, with a self-signed certificate whose PEM a trust bundle can
/// hold) that answers every request with "METHOD PATH body=N" and records each request's head; a WebSocket upgrade
/// it accepts, then echoes what it receives.
/// </summary>
public sealed class LocalHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2? _certificate;
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Answers a request (method, path) with a status, a content type and a body; null for the default answer.</summary>
    public Func<string, string, (int Status, string Type, byte[] Body)?>? Routes { get; init; }

    public LocalHttpServer(bool tls)
    {
        if (tls)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
            CertificatePem = made.ExportCertificatePem();
            _certificate = X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
        }
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string? CertificatePem { get; }

    public ConcurrentQueue<string> Heads { get; } = new();

    public string Url(string path) => $"{(_certificate is null ? "http" : "https")}://127.0.0.1:{Port}{path}";

    /// <summary>A file with the system's CA bundle and this server's certificate, for the supervisor's SSL_CERT_FILE.</summary>
    public string WriteTrustBundle(string folder)
    {
        var path = Path.Combine(folder, "upstream-trust.pem");
        var system = File.Exists("/etc/ssl/certs/ca-certificates.crt") ? File.ReadAllText("/etc/ssl/certs/ca-certificates.crt") : "";
        File.WriteAllText(path, system + "\n" + CertificatePem);
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        return path;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var ssl = new SslStream(stream);
                    await ssl.AuthenticateAsServerAsync(_certificate);
                    stream = ssl;
                }
                var reader = new BufferedStream(stream);
                while (await ReadHeadAsync(reader) is { } head)
                {
                    Heads.Enqueue(head);
                    var lines = head.Split("\r\n");
                    if (lines.Any(l => l.Equals("Upgrade: websocket", StringComparison.OrdinalIgnoreCase)))
                    {
                        await EchoAfterUpgradeAsync(stream, reader);
                        return;
                    }
                    var start = lines[0].Split(' ');
                    var length = lines.Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)).Select(l => long.Parse(l[15..].Trim())).FirstOrDefault();
                    var chunked = lines.Any(l => l.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && l.Contains("chunked"));
                    var body = chunked ? await ReadChunkedAsync(reader) : await ReadExactlyAsync(reader, length);
                    var (status, type, text) = Routes?.Invoke(start[0], start[1]) ?? (200, "text/plain", Encoding.UTF8.GetBytes($"{start[0]} {start[1]} body={body.Length}\n"));
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} X\r\nContent-Type: {type}\r\nContent-Length: {text.Length}\r\n\r\n"));
                    await stream.WriteAsync(text);
                    await stream.FlushAsync();
                }
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or ObjectDisposedException) { }
        }
    }

    /// <summary>Switches to the WebSocket the client asked for, then echoes every byte until the client closes.</summary>
    private static async Task EchoAfterUpgradeAsync(Stream stream, Stream reader)
    {
        await stream.WriteAsync("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"u8.ToArray());
        await stream.FlushAsync();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, read));
            await stream.FlushAsync();
        }
    }

    private static async Task<string?> ReadHeadAsync(Stream reader)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await reader.ReadAsync(one) == 0) return null;
            head.Append((char)one[0]);
        }
        return head.ToString()[..^4];
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream reader, long length)
    {
        var body = new byte[length];
        await reader.ReadExactlyAsync(body);
        return body;
    }

    private static async Task<byte[]> ReadChunkedAsync(Stream reader)
    {
        var body = new MemoryStream();
        while (true)
        {
            var line = await ReadLineAsync(reader);
            var size = Convert.ToInt32(line.Split(';')[0], 16);
            if (size == 0) { while ((await ReadLineAsync(reader)).Length > 0) { } return body.ToArray(); }
            body.Write(await ReadExactlyAsync(reader, size));
            await ReadLineAsync(reader);
        }
    }

    private static async Task<string> ReadLineAsync(Stream reader)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            if (await reader.ReadAsync(one) == 0) throw new IOException("closed");
            line.Append((char)one[0]);
        }
        return line.ToString()[..^2];
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _certificate?.Dispose();
    }
}
