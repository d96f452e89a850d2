using System.Runtime.InteropServices;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

/// <summary>
/// HTTP rules through the CLI against a local server, as root and as nobody: allowed requests reach the server,
/// others get the sandbox's 403 naming the rule; HTTPS through the sandbox's own CA for each client present
/// (.NET's HttpClient always; curl, Python and Node when installed); credentials added on the wire only.
/// </summary>
public sealed class HttpRuleTests(UnprivilegedTests.UnprivilegedCli nobody) : IClassFixture<UnprivilegedTests.UnprivilegedCli>
{
    private static readonly string DotnetRoot = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    private static readonly string Client = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "Sandlock.TestPrograms",
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Name, "Sandlock.TestPrograms.dll"));

    private static readonly string[] Reads =
        [.. new[] { "/usr", "/lib", "/lib64", "/bin", "/etc", "/proc", DotnetRoot, Path.GetDirectoryName(Client)! }.Where(Path.Exists).SelectMany(p => new[] { "-r", p })];

    private static string DotnetGet(string method, string url) => $"'{Path.Combine(DotnetRoot, "dotnet")}' exec '{Client}' http {method} '{url}'";

    private Task<Outcome> Sandlock(bool unprivileged, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        RunAs(unprivileged ? nobody.Wrapper : null, environment, args);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Plain_http_allows_what_a_rule_names_and_refuses_the_rest_with_a_403_naming_the_rule(bool unprivileged)
    {
        using var server = new LocalHttpServer(tls: false);
        var script = string.Join("; echo; ", DotnetGet("GET", server.Url("/ok/x")), DotnetGet("GET", server.Url("/no")), DotnetGet("POST", server.Url("/ok/x")));
        var r = await Sandlock(unprivileged, null, ["run", .. Reads, "--http-allow", "GET 127.0.0.1/ok/*", "--http-port", $"{server.Port}", "--", "sh", "-c", script]);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("200\nGET /ok/x body=0", r.Stdout);
        Assert.Contains("403\nsandlock: GET 127.0.0.1/no refused: no HTTP allow rule matches; to allow it: --http-allow", r.Stdout);
        Assert.Contains("403\nsandlock: POST 127.0.0.1/ok/x refused: no HTTP allow rule matches; to allow it: --http-allow", r.Stdout);
        Assert.Contains("denied http GET 127.0.0.1/no", r.Stderr);
        Assert.Equal(["GET /ok/x HTTP/1.1"], server.Heads.Select(h => h.Split("\r\n")[0]));
    }

    [Fact]
    public async Task The_sandbox_sees_the_address_it_connected_to_not_the_proxy()
    {
        if (!File.Exists("/usr/bin/python3")) return; // getpeername needs a client that shows it; .NET's and bash's do not here
        using var server = new LocalHttpServer(tls: false);
        var r = await Sandlock(false, null, ["run", .. Reads, "--http-allow", "GET 127.0.0.1/*", "--http-port", $"{server.Port}", "--", "/usr/bin/python3", "-c",
            $"import socket; s = socket.create_connection(('127.0.0.1', {server.Port})); print(s.getpeername())"]);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal($"('127.0.0.1', {server.Port})\n", r.Stdout);
    }

    [Fact]
    public async Task A_deny_rule_wins_over_an_allow_rule_and_is_named()
    {
        using var server = new LocalHttpServer(tls: false);
        var r = await Sandlock(false, null, ["run", .. Reads, "--http-allow", "* 127.0.0.1/*", "--http-deny", "POST */upload*", "--http-port", $"{server.Port}",
            "--", "sh", "-c", DotnetGet("POST", server.Url("/upload/a")) + "; echo; " + DotnetGet("POST", server.Url("/other"))]);

        Assert.Contains("403\nsandlock: POST 127.0.0.1/upload/a refused: matches the HTTP deny rule 'POST */upload*'", r.Stdout);
        Assert.Contains("200\nPOST /other body=0", r.Stdout);
    }

    [Fact]
    public async Task A_path_that_normalizes_outside_the_rule_is_refused()
    {
        using var server = new LocalHttpServer(tls: false);
        var r = await Sandlock(false, null, ["run", .. Reads, "--http-allow", "GET 127.0.0.1/ok/*", "--http-port", $"{server.Port}",
            "--", "sh", "-c", DotnetGet("GET", server.Url("/ok/%2e%2e/no")) + "; echo; " + DotnetGet("GET", server.Url("/ok//x"))]);

        Assert.Contains("403\nsandlock: GET 127.0.0.1/no refused", r.Stdout);
        Assert.Contains("200\nGET /ok//x body=0", r.Stdout);
    }

    [Fact]
    public async Task Only_the_http_ports_of_the_rule_hosts_open()
    {
        using var server = new LocalHttpServer(tls: false);
        using var other = new LocalHttpServer(tls: false);
        var r = await Sandlock(false, null, ["run", .. Reads, "--http-allow", "GET 127.0.0.1/*", "--http-port", $"{server.Port}",
            "--", "sh", "-c", DotnetGet("GET", other.Url("/x"))]);

        Assert.Contains("failed:", r.Stdout);
        Assert.Empty(other.Heads);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Https_goes_through_the_sandbox_ca_for_every_client_present(bool unprivileged)
    {
        using var server = new LocalHttpServer(tls: true);
        // The supervisor checks the server's certificate against what its own SSL_CERT_FILE names, like any .NET program.
        var upstreamTrust = new Dictionary<string, string> { ["SSL_CERT_FILE"] = server.WriteTrustBundle(nobody.Work) };
        var url = server.Url("/ok/x");
        var clients = new Dictionary<string, string> { ["dotnet"] = DotnetGet("GET", url) };
        if (File.Exists("/usr/bin/curl")) clients["curl"] = $"/usr/bin/curl -sS '{url}'";
        if (File.Exists("/usr/bin/python3")) clients["python"] = $"/usr/bin/python3 -c 'import urllib.request; print(urllib.request.urlopen(\"{url}\").read().decode(), end=\"\")'";
        if (File.Exists("/usr/bin/node")) clients["node"] = $"/usr/bin/node -e 'require(\"https\").get(\"{url}\", r => r.pipe(process.stdout))'";

        foreach (var (name, command) in clients)
        {
            var r = await Sandlock(unprivileged, upstreamTrust, ["run", .. Reads, "--http-allow", "GET 127.0.0.1/ok/*", "--http-port", $"{server.Port}", "--", "sh", "-c", command]);
            Assert.True(r.Stdout.Contains("GET /ok/x body=0", StringComparison.Ordinal), $"{name}: exit {r.ExitCode}, stdout: {r.Stdout}, stderr: {r.Stderr}");
        }
        var refused = await Sandlock(unprivileged, upstreamTrust, ["run", .. Reads, "--http-allow", "GET 127.0.0.1/ok/*", "--http-port", $"{server.Port}",
            "--", "sh", "-c", DotnetGet("GET", server.Url("/no"))]);
        Assert.Contains("403\nsandlock: GET 127.0.0.1/no refused", refused.Stdout);
        Assert.DoesNotContain(server.Heads, h => h.StartsWith("GET /no", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_of_megabytes_over_https_arrives_intact_for_every_client_present_and_a_refused_one_gets_the_403(bool unprivileged)
    {
        var big = new byte[6_000_000];
        new Random(6).NextBytes(big);
        var digest = $"{big.Length} {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(big))}";
        using var server = new LocalHttpServer(tls: true) { Routes = (_, path) => path == "/ok/big" ? (200, "application/octet-stream", big) : null };
        var upstreamTrust = new Dictionary<string, string> { ["SSL_CERT_FILE"] = server.WriteTrustBundle(nobody.Work) };
        var url = server.Url("/ok/big");
        var clients = new Dictionary<string, string> { ["dotnet"] = $"'{Path.Combine(DotnetRoot, "dotnet")}' exec '{Client}' digest '{url}'" };
        // Python hashes what it fetched, and what curl fetched.
        const string Hash = "import hashlib, sys; b = sys.stdin.buffer.read(); print(200, len(b), hashlib.sha256(b).hexdigest())";
        if (File.Exists("/usr/bin/python3"))
        {
            clients["python"] = $"/usr/bin/python3 -c 'import hashlib, urllib.request; r = urllib.request.urlopen(\"{url}\"); b = r.read(); print(r.status, len(b), hashlib.sha256(b).hexdigest())'";
            if (File.Exists("/usr/bin/curl")) clients["curl"] = $"/usr/bin/curl -sS '{url}' | /usr/bin/python3 -c '{Hash}'";
        }

        foreach (var (name, command) in clients)
        {
            var r = await Sandlock(unprivileged, upstreamTrust, ["run", .. Reads, "--http-allow", "GET 127.0.0.1/ok/*", "--http-port", $"{server.Port}", "--", "sh", "-c", command]);
            Assert.True(r.Stdout == $"200 {digest}\n", $"{name}: exit {r.ExitCode}, stdout: {r.Stdout}, stderr: {r.Stderr}");
        }
        var refused = await Sandlock(unprivileged, upstreamTrust, ["run", .. Reads, "--http-allow", "GET 127.0.0.1/ok/*", "--http-port", $"{server.Port}",
            "--", "sh", "-c", $"'{Path.Combine(DotnetRoot, "dotnet")}' exec '{Client}' digest '{server.Url("/big")}'"]);
        Assert.StartsWith("403 ", refused.Stdout);
        Assert.Contains("denied http GET 127.0.0.1/big", refused.Stderr);
        Assert.Equal(clients.Count, server.Heads.Count);
    }

    [Fact]
    public async Task An_http_1_0_client_over_https_keeps_its_connection_only_when_it_asked_for_keep_alive()
    {
        if (!File.Exists("/usr/bin/python3")) return; // the client writes HTTP/1.0 heads by hand over Python's ssl
        using var server = new LocalHttpServer(tls: true);
        var upstreamTrust = new Dictionary<string, string> { ["SSL_CERT_FILE"] = server.WriteTrustBundle(nobody.Work) };
        // Two requests on one TLS connection, the first asking for keep-alive; then reads until the proxy closes.
        var script = $$"""
            import socket, ssl
            s = ssl.create_default_context().wrap_socket(socket.create_connection(("127.0.0.1", {{server.Port}})), server_hostname="127.0.0.1")
            f = s.makefile("rb")
            for path, extra in (("/ok/a", "Connection: keep-alive\r\n"), ("/ok/b", "")):
                s.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{{server.Port}}\r\n{extra}\r\n".encode())
                status, fields = f.readline().decode().strip(), {}
                while (line := f.readline()) not in (b"\r\n", b""):
                    name, value = line.decode().split(":", 1)
                    fields[name.lower()] = value.strip()
                print(status, fields.get("connection"), f.read(int(fields["content-length"])).decode().strip())
            print("closed", len(f.read()))
            """;
        var r = await Sandlock(false, upstreamTrust, ["run", .. Reads, "--http-allow", "GET 127.0.0.1/ok/*", "--http-port", $"{server.Port}", "--", "/usr/bin/python3", "-c", script]);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("HTTP/1.1 200 X keep-alive GET /ok/a body=0\nHTTP/1.1 200 X close GET /ok/b body=0\nclosed 0\n", r.Stdout);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_websocket_upgrade_over_https_is_passed_by_rule_and_relayed_both_ways(bool unprivileged)
    {
        if (!File.Exists("/usr/bin/python3")) return; // the client asks for the upgrade by hand over Python's ssl
        using var server = new LocalHttpServer(tls: true);
        var upstreamTrust = new Dictionary<string, string> { ["SSL_CERT_FILE"] = server.WriteTrustBundle(nobody.Work) };
        // The sandbox's Python trusts the sandbox's CA through the SSL_CERT_FILE the sandbox gets.
        var script = $$"""
            import socket, ssl, sys, threading
            s = ssl.create_default_context().wrap_socket(socket.create_connection(("127.0.0.1", {{server.Port}})), server_hostname="127.0.0.1")
            s.sendall(f"GET {sys.argv[1]} HTTP/1.1\r\nHost: 127.0.0.1:{{server.Port}}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
            f = s.makefile("rb")
            print(f.readline().decode().strip())
            while f.readline() not in (b"\r\n", b""): pass
            message = bytes(i * 7 % 251 for i in range(1_000_000))
            threading.Thread(target=lambda: s.sendall(message), daemon=True).start()
            echo = b""
            while len(echo) < len(message):
                part = f.read1(1 << 16)
                if not part: break
                echo += part
            print("echo", len(echo), echo == message)
            """;
        var passed = await Sandlock(unprivileged, upstreamTrust, ["run", .. Reads, "--http-allow", "GET 127.0.0.1/ws", "--http-port", $"{server.Port}",
            "--", "/usr/bin/python3", "-c", script, "/ws"]);
        Assert.True(passed.Stdout == "HTTP/1.1 101 Switching Protocols\necho 1000000 True\n", $"exit {passed.ExitCode}, stdout: {passed.Stdout}, stderr: {passed.Stderr}");
        Assert.Contains("\r\nUpgrade: websocket", Assert.Single(server.Heads));

        var refused = await Sandlock(unprivileged, upstreamTrust, ["run", .. Reads, "--http-allow", "GET 127.0.0.1/ws", "--http-port", $"{server.Port}",
            "--", "/usr/bin/python3", "-c", script, "/other"]);
        Assert.StartsWith("HTTP/1.1 403 Forbidden\n", refused.Stdout);
        Assert.Contains("denied http GET 127.0.0.1/other", refused.Stderr);
        Assert.Single(server.Heads);
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_sandbox_ca_fails_and_the_refusal_is_named()
    {
        using var server = new LocalHttpServer(tls: true);
        var upstreamTrust = new Dictionary<string, string> { ["SSL_CERT_FILE"] = server.WriteTrustBundle(nobody.Work) };
        // A client with its own trust list (as a pinning client) sees a certificate it does not know.
        var folder = Directory.CreateDirectory(Path.Combine(nobody.Work, "pinned-" + Guid.NewGuid().ToString("N"))).FullName;
        var pinned = Path.Combine(folder, "pinned.pem");
        File.WriteAllText(pinned, server.CertificatePem);
        var r = await Sandlock(false, upstreamTrust, ["run", .. Reads, "-r", folder, "--http-allow", "GET 127.0.0.1/*", "--http-port", $"{server.Port}",
            "--", "sh", "-c", $"SSL_CERT_FILE='{pinned}' SSL_CERT_DIR='{folder}' " + DotnetGet("GET", server.Url("/ok/x"))]);

        Assert.Contains("failed:", r.Stdout);
        Assert.Contains("did not accept the sandbox's certificate", r.Stderr);
        Assert.Empty(server.Heads);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Http_auth_puts_the_token_on_the_wire_and_never_in_the_sandbox(bool unprivileged)
    {
        using var server = new LocalHttpServer(tls: false);
        var secret = new Dictionary<string, string> { ["SANDLOCK_TEST_TOKEN"] = "s3cret-" + Guid.NewGuid().ToString("N") };
        var r = await Sandlock(unprivileged, secret, ["run", .. Reads, "--http-allow", "GET 127.0.0.1/*", "--http-port", $"{server.Port}",
            "--http-auth", "127.0.0.1=SANDLOCK_TEST_TOKEN", "--", "sh", "-c", "env; cat /proc/self/environ; " + DotnetGet("GET", server.Url("/ok/x"))]);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("GET /ok/x body=0", r.Stdout);
        Assert.DoesNotContain(secret["SANDLOCK_TEST_TOKEN"], r.Stdout);
        Assert.Contains($"Authorization: Bearer {secret["SANDLOCK_TEST_TOKEN"]}", Assert.Single(server.Heads));
    }

    [Fact]
    public async Task Http_auth_with_an_unset_variable_refuses_to_start_naming_it()
    {
        var r = await Run(["run", "--http-allow", "GET example.com/*", "--http-auth", "example.com=SANDLOCK_NO_SUCH_VARIABLE", "--", "true"]);
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("SANDLOCK_NO_SUCH_VARIABLE", r.Stderr);
    }

    [Fact]
    public async Task Keep_alive_chunked_bodies_and_expect_continue_pass_through()
    {
        if (!File.Exists("/usr/bin/python3")) return; // http.client is the client here that frames by hand; the others pass without it
        using var server = new LocalHttpServer(tls: false);
        var script = $$"""
            import http.client
            c = http.client.HTTPConnection("127.0.0.1", {{server.Port}})
            c.request("POST", "/ok/a", body=iter([b"ab", b"cd"]), encode_chunked=True, headers={"Expect": "100-continue"})
            r = c.getresponse(); print(r.status, r.read().decode().strip())
            c.request("GET", "/ok/b")
            r = c.getresponse(); print(r.status, r.read().decode().strip())
            c.request("GET", "/no")
            r = c.getresponse(); print(r.status, r.read().decode().strip())
            """;
        var r = await Sandlock(false, null, ["run", .. Reads, "--http-allow", "* 127.0.0.1/ok/*", "--http-port", $"{server.Port}", "--", "/usr/bin/python3", "-c", script]);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("200 POST /ok/a body=4\n200 GET /ok/b body=0\n403 sandlock: GET 127.0.0.1/no refused", r.Stdout);
    }
}
