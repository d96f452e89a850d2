using System.Globalization;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision.Http;

/// <summary>
/// A client that sends its requests on one kept connection and then half-closes it (shutdown(SHUT_WR)) still gets
/// a response to every request it sent, whatever body they carried, and then the connection closes.
/// </summary>
public sealed class HttpHalfCloseTests : IDisposable
{
    // Sends argv[2] (Python escapes: \r\n; <body> stands for argv[3] bytes) on one connection, half-closes it and
    // reads every response up to the end; prints the status and body of each, then "closed", or "reset" when the
    // proxy reset the connection.
    private const string Client = """
        import socket, sys
        port = int(sys.argv[1])
        sent = sys.argv[2].encode("latin1").decode("unicode_escape").encode("latin1").replace(b"<body>", b"x" * int(sys.argv[3]))
        s = socket.create_connection(("127.0.0.1", port))
        # A safety net for a proxy that never answers: the test fails instead of hanging.
        s.settimeout(60)
        s.sendall(sent)
        s.shutdown(socket.SHUT_WR)
        f = s.makefile("rb")
        try:
            while line := f.readline():
                length = 0
                while (field := f.readline()) not in (b"\r\n", b""):
                    name, value = field.split(b":", 1)
                    if name.lower() == b"content-length": length = int(value)
                print(line.split(b" ")[1].decode(), f.read(length).decode().split("\n")[0])
            print("closed")
        except ConnectionResetError:
            print("reset")
        """;

    private const string Get = "GET /after HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n";

    private readonly BodyHttpServer _server = new();

    public void Dispose() => _server.Dispose();

    private async Task<string[]> SendThenHalfCloseAsync(string requests, string rule = "* 127.0.0.1/*", int bodyBytes = 0)
    {
        var port = _server.Port.ToString(CultureInfo.InvariantCulture);
        var result = await Run(SystemOnly().FsRead("/etc").HttpAllow(rule).HttpPort(port),
            ["/usr/bin/python3", "-c", Client, port, requests, bodyBytes.ToString(CultureInfo.InvariantCulture)]);
        AssertSucceeded(result);
        return result.StandardOutputText.TrimEnd().Split('\n');
    }

    private static string Uploaded(string body) =>
        $"200 {body.Length} {BodyHttpServer.Sha256(System.Text.Encoding.ASCII.GetBytes(body))}";

    [Fact]
    public async Task Two_gets_then_a_half_close_get_both_responses()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var lines = await SendThenHalfCloseAsync("GET /first HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n" + Get);

        Assert.Equal(["200 /first", "200 /after", "closed"], lines);
        Assert.Equal(1, _server.Connections);
    }

    [Fact]
    public async Task A_chunked_post_and_a_get_then_a_half_close_get_both_responses()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var lines = await SendThenHalfCloseAsync(
            "POST /upload HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n3\\r\\nabc\\r\\n2\\r\\nde\\r\\n0\\r\\n\\r\\n" + Get);

        Assert.Equal(["POST /upload HTTP/1.1", "GET /after HTTP/1.1"], _server.Heads.Select(h => h.Split("\r\n")[0]));
        Assert.Equal([Uploaded("abcde"), "200 /after", "closed"], lines);
        Assert.Equal(1, _server.Connections);
    }

    [Fact]
    public async Task A_content_length_post_and_a_get_then_a_half_close_get_both_responses()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var lines = await SendThenHalfCloseAsync("POST /upload HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Length: 5\\r\\n\\r\\nabcde" + Get);

        Assert.Equal(["POST /upload HTTP/1.1", "GET /after HTTP/1.1"], _server.Heads.Select(h => h.Split("\r\n")[0]));
        Assert.Equal([Uploaded("abcde"), "200 /after", "closed"], lines);
        Assert.Equal(1, _server.Connections);
    }

    [Fact]
    public async Task A_refused_post_whose_body_was_not_read_gets_its_403_and_then_the_close_not_a_reset()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        // More than the proxy reads with the head: closed with it unread, the socket would send a reset.
        var lines = await SendThenHalfCloseAsync("POST /upload HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Length: 1048576\\r\\n\\r\\n<body>" + Get,
            rule: "GET 127.0.0.1/*", bodyBytes: 1 << 20);

        Assert.Equal(2, lines.Length);
        Assert.StartsWith("403 sandlock: POST 127.0.0.1/upload refused: no HTTP allow rule matches", lines[0], StringComparison.Ordinal);
        Assert.Equal("closed", lines[1]);
        Assert.Empty(_server.Heads);
    }
}
