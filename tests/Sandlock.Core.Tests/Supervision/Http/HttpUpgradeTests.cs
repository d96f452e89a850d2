using System.Globalization;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision.Http;

/// <summary>
/// Upgrades through the HTTP proxy: a WebSocket upgrade an allow rule matches is passed and the connection then
/// relayed raw both ways; one no rule allows, or an upgrade to another protocol, gets the sandbox's 403.
/// </summary>
public sealed class HttpUpgradeTests : IDisposable
{
    // Asks for an upgrade by hand; after a 101 sends 3 MB (from a thread, while the echo comes back) and half-closes.
    private const string Client = """
        import socket, sys, threading
        port, path, protocol = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: Upgrade\r\nUpgrade: {protocol}\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        f = s.makefile("rb")
        print(f.readline().decode().strip())
        while f.readline() not in (b"\r\n", b""): pass
        message = bytes(i * 7 % 251 for i in range(3_000_000))
        def send():
            s.sendall(message); s.shutdown(socket.SHUT_WR)
        sender = threading.Thread(target=send); sender.start()
        echo = f.read(); sender.join()
        print("echo", len(echo), echo == message)
        """;

    private readonly UpgradeEchoServer _server = new();

    public void Dispose() => _server.Dispose();

    private Task<SandboxResult> Upgrade(string allow, string path, string protocol) =>
        Run(SystemOnly().FsRead("/etc").HttpAllow(allow).HttpPort(_server.Port.ToString(CultureInfo.InvariantCulture)),
            "/usr/bin/python3", "-c", Client, _server.Port.ToString(CultureInfo.InvariantCulture), path, protocol);

    [Fact]
    public async Task A_websocket_upgrade_an_allow_rule_matches_is_relayed_both_ways()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var result = await Upgrade("GET 127.0.0.1/ws", "/ws", "websocket");

        AssertSucceeded(result);
        Assert.Equal("HTTP/1.1 101 Switching Protocols\necho 3000000 True\n", result.StandardOutputText);
        var head = Assert.Single(_server.Heads);
        Assert.Contains("\r\nUpgrade: websocket\r\n", head);
        Assert.Contains("\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", head);
    }

    [Fact]
    public async Task A_websocket_upgrade_no_rule_allows_is_refused_and_reported()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var result = await Upgrade("GET 127.0.0.1/other", "/ws", "websocket");

        Assert.StartsWith("HTTP/1.1 403 Forbidden\necho ", result.StandardOutputText);
        var denial = Assert.Single(result.Denials, d => d.Syscall == "http");
        Assert.Equal("GET 127.0.0.1/ws", denial.Target);
        Assert.Equal("no HTTP allow rule matches", denial.Rule);
        Assert.Empty(_server.Heads);
    }

    [Fact]
    public async Task An_upgrade_to_another_protocol_is_refused_even_where_a_rule_allows_the_request()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var result = await Upgrade("GET 127.0.0.1/*", "/ws", "h2c");

        Assert.StartsWith("HTTP/1.1 403 Forbidden\n", result.StandardOutputText);
        var denial = Assert.Single(result.Denials, d => d.Syscall == "http");
        Assert.Contains("only WebSocket upgrades are", denial.Rule);
        Assert.Empty(_server.Heads);
    }
}
