using System.Globalization;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision.Http;

/// <summary>
/// What the Connection field of a request means to the proxy: an HTTP/1.0 client keeps its connection only by asking
/// for keep-alive, and then gets it named in the response; without, or when the body can only end with the
/// connection, the proxy closes after the response. An Upgrade field counts only when Connection lists it (and never
/// from HTTP/1.0): otherwise it is dropped and the request passes as an ordinary one.
/// </summary>
public sealed class HttpConnectionFieldTests : IDisposable
{
    // Each argument after the port is one request "VERSION|PATH|FIELD|FIELD..." on one connection; prints the status,
    // the Connection and Transfer-Encoding fields and the body's length and hash; at the end waits for the close.
    private const string Client = """
        import hashlib, socket, sys
        port = int(sys.argv[1])
        s = socket.create_connection(("127.0.0.1", port))
        f = s.makefile("rb")
        for op in sys.argv[2:]:
            version, path, *fields = op.split("|")
            s.sendall((f"GET {path} HTTP/{version}\r\nHost: 127.0.0.1:{port}\r\n" + "".join(h + "\r\n" for h in fields) + "\r\n").encode())
            status = f.readline().decode().strip()
            got = {}
            while (line := f.readline()) not in (b"\r\n", b""):
                name, value = line.decode().split(":", 1)
                got[name.lower()] = value.strip()
            n = got.get("content-length")
            body = f.read(int(n)) if n is not None else f.read()
            print(status, got.get("connection", "-"), got.get("transfer-encoding", "-"), len(body), hashlib.sha256(body).hexdigest())
        print("closed", len(f.read()))
        """;

    private readonly BodyHttpServer _server = new();

    public void Dispose() => _server.Dispose();

    private Task<SandboxResult> Send(params string[] requests) =>
        Run(SystemOnly().FsRead("/etc").HttpAllow("GET 127.0.0.1/fixed/*").HttpAllow("GET 127.0.0.1/chunked/*").HttpPort(_server.Port.ToString(CultureInfo.InvariantCulture)),
            ["/usr/bin/python3", "-c", Client, _server.Port.ToString(CultureInfo.InvariantCulture), .. requests]);

    private static string Response(string connection, int length) =>
        $"HTTP/1.1 200 OK {connection} - {length} {BodyHttpServer.Sha256(BodyHttpServer.Body(length))}";

    [Fact]
    public async Task An_http_1_0_client_asking_for_keep_alive_gets_it_named_and_keeps_the_connection()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var result = await Send("1.0|/fixed/5000000|Connection: keep-alive", "1.0|/fixed/100|Connection: Keep-Alive", "1.0|/fixed/10");

        AssertSucceeded(result);
        // The last request did not ask to keep the connection: the proxy closed it after the response.
        Assert.Equal([Response("keep-alive", 5_000_000), Response("keep-alive", 100), Response("close", 10), "closed 0"],
            result.StandardOutputText.TrimEnd().Split('\n'));
        Assert.Equal(1, _server.Connections);
        Assert.All(_server.Heads, h => Assert.EndsWith(" HTTP/1.1", h.Split("\r\n")[0], StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_http_1_0_client_without_keep_alive_sees_the_connection_closed_after_the_response()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var result = await Send("1.0|/fixed/3000000");

        AssertSucceeded(result);
        Assert.Equal([Response("close", 3_000_000), "closed 0"], result.StandardOutputText.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task A_chunked_response_to_an_http_1_0_client_is_sent_unchunked_and_closes_even_with_keep_alive()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        // HTTP/1.0 has no chunked coding: the data alone, its end told by the close.
        var result = await Send("1.0|/chunked/2000000|Connection: keep-alive");

        AssertSucceeded(result);
        Assert.Equal([Response("close", 2_000_000), "closed 0"], result.StandardOutputText.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task An_upgrade_field_the_connection_field_does_not_list_is_dropped_and_the_request_passed()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        // h2c would be refused as an upgrade; unlisted (or from HTTP/1.0) it asks for nothing.
        var result = await Send("1.1|/fixed/100|Upgrade: websocket", "1.1|/fixed/200|Upgrade: h2c|Connection: keep-alive", "1.0|/fixed/10|Connection: Upgrade|Upgrade: websocket");

        AssertSucceeded(result);
        Assert.Equal([Response("-", 100), Response("-", 200), Response("close", 10), "closed 0"], result.StandardOutputText.TrimEnd().Split('\n'));
        Assert.Equal(3, _server.Heads.Count);
        Assert.All(_server.Heads, h => Assert.DoesNotContain("upgrade", h, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(result.Denials, d => d.Syscall == "http");
    }
}
