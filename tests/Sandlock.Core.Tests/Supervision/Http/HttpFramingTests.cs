using System.Globalization;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision.Http;

/// <summary>
/// Request smuggling through the proxy: a request whose framing a server could read otherwise than the proxy (so a
/// second request, never checked, would hide in it) is answered 400 and its connection closed, and nothing of it,
/// nor of what was pipelined behind it, reaches the server; nor does a request pipelined behind a refused one.
/// Well-framed requests on one connection all pass.
/// </summary>
public sealed class HttpFramingTests : IDisposable
{
    private readonly RecordingHttpServer _server = new();

    public void Dispose() => _server.Dispose();

    private Task<SandboxResult> Send(params string[] requests) =>
        RawHttpClient.SendAsync(SystemOnly().FsRead("/etc").HttpAllow("* 127.0.0.1/ok/*").HttpPort(_server.Port.ToString(CultureInfo.InvariantCulture)),
            "127.0.0.1", _server.Port, null, [.. requests.Select(r => r.Replace("{H}", $"Host: 127.0.0.1:{_server.Port}", StringComparison.Ordinal))]);

    [Theory]
    [InlineData("POST /ok/x HTTP/1.0\r\n{H}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "Transfer-Encoding in an HTTP/1.0 request")]
    [InlineData("POST /ok/x HTTP/1.1\r\n{H}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /no HTTP/1.1\r\n{H}\r\n\r\n", "both Transfer-Encoding and Content-Length")]
    [InlineData("POST /ok/x HTTP/1.1\r\n{H}\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabcGET /no HTTP/1.1\r\n{H}\r\n\r\n", "invalid Content-Length")]
    [InlineData("POST /ok/x HTTP/1.1\r\n{H}\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", "only 'chunked' is passed")]
    [InlineData("POST /ok/x HTTP/1.1\r\n{H}\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "only 'chunked' is passed")]
    [InlineData("POST /ok/x HTTP/1.1\r\n{H}\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc", "malformed header line")]
    [InlineData("POST /ok/x HTTP/1.1\r\n{H}\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nabc", "malformed header line")]
    [InlineData("POST /ok/x HTTP/1.1\r\n{H}\r\nTransfer_Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc", "reads as 'Transfer-Encoding'")]
    [InlineData("GET /ok/x HTTP/1.1\n{H}\nX-A: 1\n\n", "bare LF")]
    [InlineData("GET /ok/x HTTP/1.1\r\n{H}\nX-A: 1\r\n\r\n", "bare LF")]
    [InlineData("GET /ok/x HTTP/1.1\r\n{H}\r\nX-Big: {big}\r\n\r\n", "longer than")]
    [InlineData("GET /ok/x HTTP/1.1\r\n{H}\r\nHost: 127.0.0.2\r\n\r\n", "more than one Host")]
    [InlineData("GET /ok/x HTTP/1.01\r\n{H}\r\n\r\n", "not an HTTP/1.0 or HTTP/1.1 request line")]
    [InlineData("GET /ok/x HTTP/1.1\r\n{H}\r\nX-A: a\u000bb\r\n\r\n", "control character")]
    public async Task A_request_with_ambiguous_framing_gets_400_and_nothing_reaches_the_server(string request, string why)
    {
        if (!RawHttpClient.Available) return;
        var result = await Send(request);

        AssertSucceeded(result);
        Assert.Equal(["HTTP/1.1 400 Bad Request | closed"], RawHttpClient.Lines(result));
        Assert.Contains(result.Denials, d => d.Syscall == "http" && d.Rule.Contains(why, StringComparison.Ordinal));
        Assert.Equal(0, _server.Connections);
    }

    [Fact]
    public async Task A_request_pipelined_behind_a_refused_one_never_reaches_the_server()
    {
        if (!RawHttpClient.Available) return;
        var result = await Send("GET /no HTTP/1.1\r\n{H}\r\n\r\nGET /ok/x HTTP/1.1\r\n{H}\r\n\r\n");

        AssertSucceeded(result);
        Assert.Equal(["HTTP/1.1 403 Forbidden | closed"], RawHttpClient.Lines(result));
        Assert.Equal(0, _server.Connections);
    }

    [Fact]
    public async Task A_request_smuggled_in_a_body_after_an_allowed_one_is_read_as_a_request_and_refused()
    {
        if (!RawHttpClient.Available) return;
        // The body's framing is clear: the "GET /no" after it is the next request, checked and refused.
        var result = await Send("POST /ok/x HTTP/1.1\r\n{H}\r\nContent-Length: 3\r\n\r\nabcGET /no HTTP/1.1\r\n{H}\r\n\r\n");

        AssertSucceeded(result);
        Assert.Equal(["HTTP/1.1 200 OK | HTTP/1.1 403 Forbidden | closed"], RawHttpClient.Lines(result));
        Assert.Equal(["POST /ok/x HTTP/1.1"], _server.RequestLines);
    }

    [Fact]
    public async Task Well_framed_requests_on_one_connection_all_pass()
    {
        if (!RawHttpClient.Available) return;
        var result = await Send(
            "GET /ok/a HTTP/1.1\r\n{H}\r\n\r\n" +
            "POST /ok/b HTTP/1.1\r\n{H}\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n" +
            "POST /ok/c HTTP/1.1\r\n{H}\r\nContent-Length: 3\r\nContent-Length: 3\r\nX_Custom: 1\r\n\r\nabc" +
            "GET /ok/d HTTP/1.0\r\n{H}\r\n\r\n");

        AssertSucceeded(result);
        Assert.Equal(["HTTP/1.1 200 OK | HTTP/1.1 200 OK | HTTP/1.1 200 OK | HTTP/1.1 200 OK | closed"], RawHttpClient.Lines(result));
        Assert.Equal(["GET /ok/a HTTP/1.1", "POST /ok/b HTTP/1.1", "POST /ok/c HTTP/1.1", "GET /ok/d HTTP/1.1"], _server.RequestLines);
        Assert.Contains("Transfer-Encoding: chunked", _server.Heads.ElementAt(1));
        Assert.Contains("X_Custom: 1", _server.Heads.ElementAt(2));
        Assert.DoesNotContain(result.Denials, d => d.Syscall == "http");
    }
}
