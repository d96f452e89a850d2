using System.Globalization;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision.Http;

/// <summary>
/// The host a request is matched on is where it goes: a request naming a host (in Host, in an absolute-form target,
/// in the TLS server name) is refused unless the connection went to that host, so naming an allowed host does not
/// reach another server; a deny rule naming an address holds under any name. Two servers: one on 127.0.0.1 (where
/// <c>localhost</c> resolves) and one on 127.0.0.2.
/// </summary>
public sealed class HttpDestinationTests : IDisposable
{
    private readonly RecordingHttpServer _local = new(), _other = new("127.0.0.2");

    public void Dispose()
    {
        _local.Dispose();
        _other.Dispose();
    }

    private SandboxPolicyBuilder Rules(string allow, string? deny = null)
    {
        var policy = SystemOnly().FsRead("/etc").HttpAllow(allow).HttpPort(_local.Port.ToString(CultureInfo.InvariantCulture)).HttpPort(_other.Port.ToString(CultureInfo.InvariantCulture));
        return deny is null ? policy : policy.HttpDeny(deny);
    }

    private static string Get(string target, string host) => $"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n";

    [Fact]
    public async Task A_host_of_a_wildcard_domain_rule_sent_to_another_server_is_refused()
    {
        if (!RawHttpClient.Available) return;
        // *.example.com opens the HTTP ports to any address; the name must still lead to where the connection went.
        var result = await RawHttpClient.SendAsync(Rules("GET *.example.com/*"), "127.0.0.2", _other.Port, null, Get("/x", "pkgs.example.com"));

        AssertSucceeded(result);
        Assert.Equal(["HTTP/1.1 403 Forbidden | closed"], RawHttpClient.Lines(result));
        Assert.Contains(result.Denials, d => d.Target == "GET pkgs.example.com/x" && d.Rule.Contains("127.0.0.2", StringComparison.Ordinal));
        Assert.Equal(0, _other.Connections);
    }

    [Fact]
    public async Task A_name_reaches_the_server_it_resolves_to_and_no_other()
    {
        if (!RawHttpClient.Available) return;
        var toOther = await RawHttpClient.SendAsync(Rules("GET */*"), "127.0.0.2", _other.Port, null, Get("/x", $"localhost:{_other.Port}"));
        var toLocal = await RawHttpClient.SendAsync(Rules("GET */*"), "127.0.0.1", _local.Port, null, Get("/x", $"localhost:{_local.Port}"));

        Assert.Equal(["HTTP/1.1 403 Forbidden | closed"], RawHttpClient.Lines(toOther));
        Assert.Contains(toOther.Denials, d => d.Rule == "localhost resolves to 127.0.0.1, not to 127.0.0.2 where the connection went");
        Assert.Equal(0, _other.Connections);
        Assert.Equal(["HTTP/1.1 200 OK | closed"], RawHttpClient.Lines(toLocal));
        Assert.Contains($"Host: localhost:{_local.Port}", _local.Heads.Single());
    }

    [Fact]
    public async Task An_absolute_form_target_is_the_host_matched_and_sent_and_must_be_where_the_connection_went()
    {
        if (!RawHttpClient.Available) return;
        var result = await RawHttpClient.SendAsync(Rules("GET 127.0.0.2/*"), "127.0.0.2", _other.Port, null,
            Get($"http://localhost:{_other.Port}/x", $"127.0.0.2:{_other.Port}"),
            Get($"http://127.0.0.1@127.0.0.2:{_other.Port}/x", $"127.0.0.2:{_other.Port}"),
            Get($"http://127.0.0.2:{_other.Port}/y", "localhost"));

        AssertSucceeded(result);
        Assert.Equal(["HTTP/1.1 403 Forbidden | closed", "HTTP/1.1 400 Bad Request | closed", "HTTP/1.1 200 OK | closed"], RawHttpClient.Lines(result));
        // The absolute form's host wins over the Host field (RFC 9112 3.2.2), and the server gets it as Host.
        Assert.Equal(["GET /y HTTP/1.1"], _other.RequestLines);
        Assert.Contains($"Host: 127.0.0.2:{_other.Port}", _other.Heads.Single());
    }

    [Fact]
    public async Task A_deny_rule_naming_an_address_holds_when_the_request_names_the_host_otherwise()
    {
        if (!RawHttpClient.Available) return;
        var result = await RawHttpClient.SendAsync(Rules("* */*", deny: "* 127.0.0.1/*"), "127.0.0.1", _local.Port, null, Get("/x", $"localhost:{_local.Port}"));

        AssertSucceeded(result);
        Assert.Equal(["HTTP/1.1 403 Forbidden | closed"], RawHttpClient.Lines(result));
        Assert.Contains(result.Denials, d => d.Rule == "matches the HTTP deny rule '* 127.0.0.1/*'");
        Assert.Equal(0, _local.Connections);
    }

    [Fact]
    public async Task Over_tls_a_host_other_than_the_server_name_is_refused()
    {
        if (!RawHttpClient.Available) return;
        var result = await RawHttpClient.SendAsync(Rules("GET */*"), "127.0.0.1", _local.Port, "localhost", Get("/x", "127.0.0.1"));

        AssertSucceeded(result);
        Assert.Equal(["HTTP/1.1 403 Forbidden | closed"], RawHttpClient.Lines(result));
        Assert.Contains(result.Denials, d => d.Rule == "the Host header names 127.0.0.1 but the TLS server name is localhost");
        Assert.Equal(0, _local.Connections);
    }
}
