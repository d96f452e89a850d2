using System.Globalization;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision.Http;

/// <summary>
/// Requests whose reading by a server could differ from the proxy's, sent byte for byte from inside the sandbox:
/// encoded separators, segment parameters and backslashes that walk out of an allowed prefix or around a deny rule,
/// paths no rule can judge, addresses spelt another way, a Host that names somewhere the connection did not go, and
/// heads whose framing servers read differently. Each is refused (and recorded); the plain request beside it passes.
/// </summary>
public sealed class HttpRequestReadingTests : IDisposable
{
    // Each argument after the port is one connection's bytes (Python escapes: \r\n); prints the status codes of the
    // responses to its requests (or until the proxy closes it), joined by '|', one line per connection.
    private const string Client = """
        import socket, sys
        port = int(sys.argv[1])
        for raw in sys.argv[2:]:
            sent = raw.encode("latin1").decode("unicode_escape").encode("latin1")
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(sent)
            f = s.makefile("rb")
            statuses = []
            while len(statuses) < sent.count(b" HTTP/1.") and (line := f.readline()):
                statuses.append(line.split(b" ")[1].decode())
                length = 0
                while (field := f.readline()) not in (b"\r\n", b""):
                    name, value = field.split(b":", 1)
                    if name.lower() == b"content-length": length = int(value)
                f.read(length)
            print("|".join(statuses) or "-")
            s.close()
        """;

    private readonly BodyHttpServer _server = new();

    public void Dispose() => _server.Dispose();

    private string Port => _server.Port.ToString(CultureInfo.InvariantCulture);

    private static string Get(string target, string host = "127.0.0.1") => $"GET {target} HTTP/1.1\\r\\nHost: {host}\\r\\n\\r\\n";

    private async Task<(string[] Statuses, SandboxResult Result)> SendAsync(SandboxPolicyBuilder policy, params string[] connections)
    {
        var result = await Run(policy.HttpPort(Port), ["/usr/bin/python3", "-c", Client, Port, .. connections]);
        AssertSucceeded(result);
        return (result.StandardOutputText.TrimEnd().Split('\n'), result);
    }

    private static SandboxPolicyBuilder Policy() => SystemOnly().FsRead("/etc");

    [Fact]
    public async Task Encoded_separators_and_segment_parameters_do_not_walk_out_of_an_allowed_prefix()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var (statuses, result) = await SendAsync(Policy().HttpAllow("GET 127.0.0.1/ok/*"),
            Get("/ok/x"),
            Get("/ok/x%2F..%2F..%2Fadmin"),
            Get("/ok/..;/admin"),
            Get("/ok/x%5C..%5C..%5Cadmin"),
            Get("/ok/x\\\\..\\\\..\\\\admin"),
            Get("/ok/x%252F..%252F..%252Fadmin"),
            Get("/ok/%2e%2e/admin"));

        Assert.Equal(["200", "403", "403", "403", "403", "403", "403"], statuses);
        Assert.Equal(["GET /ok/x HTTP/1.1"], _server.Heads.Select(h => h.Split("\r\n")[0]));
        Assert.Contains(result.Denials, d => d.Syscall == "http" && d.Rule.Contains("as a server may read it, /admin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_encoded_slash_inside_an_allowed_prefix_still_passes_as_sent()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        // An npm scoped package: the registry reads @scope%2Fname as one name.
        var (statuses, _) = await SendAsync(Policy().HttpAllow("GET 127.0.0.1/npm/*"), Get("/npm/@scope%2Fname"), Get("/npm/a;v=1/b"));

        Assert.Equal(["200", "200"], statuses);
        Assert.Equal(["GET /npm/@scope%2Fname HTTP/1.1", "GET /npm/a;v=1/b HTTP/1.1"], _server.Heads.Select(h => h.Split("\r\n")[0]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_deny_rule_matches_every_reading_of_the_path()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var (statuses, _) = await SendAsync(Policy().HttpAllow("GET 127.0.0.1/*").HttpDeny("* 127.0.0.1/admin*"),
            Get("/public"),
            Get("/x%2F..%2Fadmin"),
            Get("/x/..;/admin"),
            Get("/x%5C..%5Cadmin/keys"),
            Get("/x%252F..%252Fadmin"));

        Assert.Equal(["200", "403", "403", "403", "403"], statuses);
        Assert.Equal(["GET /public HTTP/1.1"], _server.Heads.Select(h => h.Split("\r\n")[0]));
    }

    [Fact]
    public async Task Targets_no_rule_can_judge_get_400_and_are_recorded()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var (statuses, result) = await SendAsync(Policy().HttpAllow("* 127.0.0.1/*"),
            Get("/ok/%00"),
            Get("/ok/%zz"),
            Get("/ok/%C0%AFadmin"),
            Get("/ok/x#/../../admin"),
            Get("*"),
            Get("127.0.0.1:80"),
            Get("/ok/%0d%0aX-Injected:%201"));

        Assert.Equal(["400", "400", "400", "400", "400", "400", "400"], statuses);
        Assert.Empty(_server.Heads);
        Assert.Equal(7, result.Denials.Count(d => d.Syscall == "http"));
        Assert.Contains(result.Denials, d => d.Rule.Contains("not followed by two hex digits", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("127.1")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("2130706433")]
    [InlineData("[::ffff:127.0.0.1]")]
    [InlineData("127.0.0.1.")]
    public async Task An_address_spelt_another_way_is_the_same_address_to_a_deny_rule(string spelling)
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var (statuses, _) = await SendAsync(Policy().HttpAllow("GET */*").HttpDeny("* 127.0.0.1/secret*"),
            Get("/secret", spelling), Get("/public", spelling));

        Assert.Equal(["403", "200"], statuses);
        Assert.Equal(["GET /public HTTP/1.1"], _server.Heads.Select(h => h.Split("\r\n")[0]));
    }

    [Fact]
    public async Task A_host_name_must_resolve_to_where_the_connection_went()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        const string Token = "sandlock-test-token-not-for-elsewhere";
        Environment.SetEnvironmentVariable("SANDLOCK_READING_TEST_TOKEN", Token);
        try
        {
            // The credentials of a host that is not here must not go here because the sandbox says so.
            var (statuses, result) = await SendAsync(Policy().HttpAllow("GET */*").HttpAuth("feed.example.invalid=SANDLOCK_READING_TEST_TOKEN"),
                Get("/pkg", "feed.example.invalid"), Get("/pkg", "localhost"));

            Assert.Equal(["403", "200"], statuses);
            Assert.DoesNotContain(_server.Heads, h => h.Contains(Token, StringComparison.Ordinal));
            Assert.Contains(result.Denials, d => d.Rule.Contains("feed.example.invalid is not where the connection went", StringComparison.Ordinal));
        }
        finally
        {
            Environment.SetEnvironmentVariable("SANDLOCK_READING_TEST_TOKEN", null);
        }
    }

    [Fact]
    public async Task A_host_that_is_not_a_valid_internationalized_name_gets_400_and_is_recorded()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var (statuses, result) = await SendAsync(Policy().HttpAllow("GET */*"), Get("/a", "xn--zz.example"), Get("/a", "XN--BCHER-2PA.example"), Get("/b"));

        Assert.Equal(["400", "400", "200"], statuses);
        Assert.Equal(["GET /b HTTP/1.1"], _server.Heads.Select(h => h.Split("\r\n")[0]));
        Assert.Equal(2, result.Denials.Count(d => d.Syscall == "http" && d.Rule.Contains("the host is not a valid name", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_plain_host_with_a_character_no_host_name_has_gets_400_and_is_recorded()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var (statuses, result) = await SendAsync(Policy().HttpAllow("GET */*"), Get("/a", "exa\\x01mple.com"), Get("/a", "user@127.0.0.1"), Get("/b"));

        Assert.Equal(["400", "400", "200"], statuses);
        Assert.Equal(["GET /b HTTP/1.1"], _server.Heads.Select(h => h.Split("\r\n")[0]));
        Assert.Equal(2, result.Denials.Count(d => d.Syscall == "http" && d.Rule.Contains("the host is not a valid name", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_host_sent_in_utf_8_is_read_as_its_ascii_form_and_one_not_in_utf_8_gets_400()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var (statuses, result) = await SendAsync(Policy().HttpAllow("GET */*"), Get("/a", "b\\xc3\\xbccher.example"), Get("/a", "b\\xfccher.example"));

        // The name is the one a rule for bücher.example names; it is refused because it does not resolve to where the connection went.
        Assert.Equal(["403", "400"], statuses);
        Assert.Empty(_server.Heads);
        Assert.Contains(result.Denials, d => d.Rule.Contains("xn--bcher-kva.example is not where the connection went", StringComparison.Ordinal));
        Assert.Contains(result.Denials, d => d.Rule.Contains("the host is not a valid name", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Heads_whose_framing_servers_read_differently_get_400()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var (statuses, _) = await SendAsync(Policy().HttpAllow("* 127.0.0.1/*"),
            "POST /upload HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nTransfer_Encoding: chunked\\r\\nContent-Length: 3\\r\\n\\r\\nabc",
            "GET /a HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nHost: other.example\\r\\n\\r\\n",
            "POST /upload HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n3\\r\\nabc\\r\\n0\\r\\n\\r\\n",
            "POST /upload HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Length: 3\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n3\\r\\nabc\\r\\n0\\r\\n\\r\\n",
            "GET /a HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n" + string.Concat(Enumerable.Range(0, 8).Select(i => $"X-Filler-{i}: {new string('x', 9000)}\\r\\n")) + "\\r\\n");

        Assert.Equal(["400", "400", "400", "400", "400"], statuses);
        Assert.Empty(_server.Heads);
    }

    [Fact]
    public async Task A_kept_connection_carries_a_chunked_body_and_the_next_request()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var (statuses, _) = await SendAsync(Policy().HttpAllow("* 127.0.0.1/*"),
            "POST /upload HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n3\\r\\nabc\\r\\n2\\r\\nde\\r\\n0\\r\\n\\r\\n" +
            "GET /after HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n");

        Assert.Equal(["POST /upload HTTP/1.1", "GET /after HTTP/1.1"], _server.Heads.Select(h => h.Split("\r\n")[0]));
        Assert.Equal(["200|200"], statuses);
        Assert.Equal(1, _server.Connections);
    }
}
