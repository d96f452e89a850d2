using System.Globalization;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision.Http;

/// <summary>
/// Plain-HTTP bodies through the proxy, which moves them socket to socket: every framing of a response and a
/// request arrives intact (checked by SHA-256 on the far side), a kept connection stays one connection to the
/// server, the rules still refuse what they do not allow on a connection that carried a socket-copied body, and a
/// head that could smuggle a header past them is refused.
/// </summary>
public sealed class HttpBodyRelayTests : IDisposable
{
    // Python's http.client frames by hand and keeps one connection; each line: "GET path" or "POST n" / "POSTC n" (chunked).
    private const string Client = """
        import http.client, hashlib, sys
        c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
        for op in sys.argv[2:]:
            verb, arg = op.split(" ")
            if verb == "GET":
                c.request("GET", arg); r = c.getresponse(); data = r.read()
                print(r.status, len(data), hashlib.sha256(data).hexdigest())
            else:
                body = bytes(i * 7 % 251 for i in range(int(arg)))
                parts = iter([body[i:i + 1000003] for i in range(0, len(body), 1000003)]) if verb == "POSTC" else body
                c.request("POST", "/upload", body=parts, encode_chunked=verb == "POSTC")
                r = c.getresponse()
                print(r.status, r.read().decode(), len(body), hashlib.sha256(body).hexdigest())
        """;

    private readonly BodyHttpServer _server = new();

    public void Dispose() => _server.Dispose();

    private Task<SandboxResult> Fetch(params string[] ops) =>
        Run(SystemOnly().FsRead("/etc").HttpAllow("GET 127.0.0.1/fixed/*").HttpAllow("GET 127.0.0.1/chunked/*").HttpAllow("GET 127.0.0.1/close/*")
            .HttpAllow("POST 127.0.0.1/upload").HttpPort(_server.Port.ToString(CultureInfo.InvariantCulture)),
            ["/usr/bin/python3", "-c", Client, _server.Port.ToString(CultureInfo.InvariantCulture), .. ops]);

    private static string Expected(int length)
    {
        var body = BodyHttpServer.Body(length);
        return $"200 {length} {BodyHttpServer.Sha256(body)}";
    }

    [Fact]
    public async Task Large_responses_of_every_framing_arrive_intact_over_one_kept_server_connection()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var result = await Fetch("GET /fixed/8000000", "GET /chunked/5000000", "GET /fixed/100", "GET /chunked/10", "GET /fixed/0", "GET /close/3000000");

        AssertSucceeded(result);
        Assert.Equal(
            [Expected(8_000_000), Expected(5_000_000), Expected(100), Expected(10), Expected(0), Expected(3_000_000)],
            result.StandardOutputText.TrimEnd().Split('\n'));
        // The connection the sandbox kept was one connection to the server, up to the response that closed it.
        Assert.Equal(1, _server.Connections);
    }

    [Fact]
    public async Task Large_uploads_with_a_length_or_chunked_reach_the_server_intact()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var result = await Fetch("POST 6000000", "POSTC 3500000", "POST 10");

        AssertSucceeded(result);
        foreach (var line in result.StandardOutputText.TrimEnd().Split('\n'))
        {
            // "200 <length the server read> <its hash> <length sent> <hash sent>"
            var fields = line.Split(' ');
            Assert.True(fields.Length == 5 && fields[0] == "200" && fields[1] == fields[3] && fields[2] == fields[4], line);
        }
        Assert.Equal(1, _server.Connections);
    }

    [Fact]
    public async Task A_socket_copy_waiting_on_a_stalled_server_ends_with_the_sandbox_and_closes_the_server_connection()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        // The client takes half the promised body and exits; the proxy's socket copy then waits for bytes that never come.
        var script = "import http.client, sys\nc = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]))\n"
            + "c.request('GET', '/stall/3000000'); r = c.getresponse(); print(len(r.read(3000000)))";
        var result = await Run(SystemOnly().FsRead("/etc").HttpAllow("GET 127.0.0.1/stall/*").HttpPort(_server.Port.ToString(CultureInfo.InvariantCulture)),
            "/usr/bin/python3", "-c", script, _server.Port.ToString(CultureInfo.InvariantCulture));

        AssertSucceeded(result);
        Assert.Equal("3000000\n", result.StandardOutputText);
        // Ending the sandbox stopped the proxy, which woke the socket copy and closed its connection to the server.
        await _server.StallEnded.Task;
    }

    [Fact]
    public async Task A_header_with_a_bare_cr_is_refused_with_a_400_and_never_forwarded()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        // Some servers end a line at a bare CR: forwarded, "X: a\rHost: other" would name a host the rules never saw.
        var script = "import socket, sys\ns = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
            + "s.sendall(b'GET /fixed/10 HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nX: a\\rHost: other\\r\\n\\r\\n')\nprint(s.makefile('rb').readline().decode().strip())";
        var result = await Run(SystemOnly().FsRead("/etc").HttpAllow("GET 127.0.0.1/fixed/*").HttpPort(_server.Port.ToString(CultureInfo.InvariantCulture)),
            "/usr/bin/python3", "-c", script, _server.Port.ToString(CultureInfo.InvariantCulture));

        AssertSucceeded(result);
        Assert.Equal("HTTP/1.1 400 Bad Request\n", result.StandardOutputText);
        Assert.Equal(0, _server.Connections);
    }

    [Fact]
    public async Task A_request_no_rule_allows_is_refused_after_a_socket_copied_body_on_the_same_connection()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var result = await Fetch("GET /fixed/4000000", "GET /secret/1");

        Assert.Equal([Expected(4_000_000)], result.StandardOutputText.TrimEnd().Split('\n').Take(1));
        Assert.Contains("403", result.StandardOutputText.TrimEnd().Split('\n')[1]);
        var denial = Assert.Single(result.Denials, d => d.Syscall == "http");
        Assert.Equal("GET 127.0.0.1/secret/1", denial.Target);
    }
}
