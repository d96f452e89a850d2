using System.Globalization;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision.Http;

/// <summary>
/// Path tricks through the proxy under <c>GET 127.0.0.1/ok/*</c>: a path that leaves <c>/ok/</c> once normalized is
/// refused (403), one a server may read otherwise than the rules (an encoded '/' or a ';' hiding '..', a backslash,
/// NUL) is refused (400), and what passes reaches the server as the path the rules matched.
/// </summary>
public sealed class HttpRequestPathTests : IDisposable
{
    private readonly RecordingHttpServer _server = new();

    public void Dispose() => _server.Dispose();

    private Task<SandboxResult> Get(params string[] paths) =>
        RawHttpClient.SendAsync(SystemOnly().FsRead("/etc").HttpAllow("GET 127.0.0.1/ok/*").HttpPort(_server.Port.ToString(CultureInfo.InvariantCulture)),
            "127.0.0.1", _server.Port, null, [.. paths.Select(p => $"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{_server.Port}\r\nConnection: close\r\n\r\n")]);

    [Fact]
    public async Task A_path_that_hides_a_dot_segment_or_a_backslash_or_nul_gets_400_and_never_reaches_the_server()
    {
        if (!RawHttpClient.Available) return;
        string[] paths = ["/ok/..%2fno", "/ok/..%2Fno", "/ok/x%2f..%2f..%2fno", "/ok/..%5cno", "/ok/..\\no", "/ok/..;/no", "/ok/x%00.json"];
        var result = await Get(paths);

        AssertSucceeded(result);
        Assert.Equal(paths.Select(_ => "HTTP/1.1 400 Bad Request | closed"), RawHttpClient.Lines(result));
        Assert.Equal(paths.Length, result.Denials.Count(d => d.Syscall == "http" && d.Rule.Contains("servers may read it as another path", StringComparison.Ordinal)));
        Assert.Equal(0, _server.Connections);
    }

    [Fact]
    public async Task A_path_that_normalizes_outside_the_rule_gets_403()
    {
        if (!RawHttpClient.Available) return;
        var result = await Get("/ok/../no", "/ok/%2e%2e/no", "/ok/.%2E/.%2e/no", "//no", "/%6Eo");

        AssertSucceeded(result);
        Assert.All(RawHttpClient.Lines(result), line => Assert.Equal("HTTP/1.1 403 Forbidden | closed", line));
        Assert.Equal(5, result.Denials.Count(d => d.Syscall == "http" && d.Target == "GET 127.0.0.1/no"));
        Assert.Equal(0, _server.Connections);
    }

    [Fact]
    public async Task An_allowed_path_reaches_the_server_as_the_rules_matched_it()
    {
        if (!RawHttpClient.Available) return;
        var result = await Get("//ok//x", "/ok/./a/../y", "/ok/@scope%2fpkg", "/ok/x;v=1/y", "/%6Fk/z?q=a/../b");

        AssertSucceeded(result);
        Assert.All(RawHttpClient.Lines(result), line => Assert.Equal("HTTP/1.1 200 OK | closed", line));
        Assert.Equal(
            ["GET /ok/x HTTP/1.1", "GET /ok/y HTTP/1.1", "GET /ok/@scope%2Fpkg HTTP/1.1", "GET /ok/x;v=1/y HTTP/1.1", "GET /ok/z?q=a/../b HTTP/1.1"],
            _server.RequestLines);
    }
}
