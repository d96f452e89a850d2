using Sandlock.Policy;
using Sandlock.Supervision.Http;

namespace Sandlock.Tests.Policy;

/// <summary>
/// A request path as the rules match it and as the server gets it: the same path, so a server cannot resolve it
/// elsewhere; and the paths servers read in different ways, refused. The rules decide on every reading of a path.
/// </summary>
public sealed class HttpPathTests
{
    [Theory]
    [InlineData("/ok/../no", "/no", "/no")]
    [InlineData("/ok/%2e%2e/no", "/no", "/no")]
    [InlineData("/ok/.%2E/no", "/no", "/no")]
    [InlineData("/ok/./x", "/ok/x", "/ok/x")]
    [InlineData("//ok///x", "/ok/x", "/ok/x")]
    [InlineData("/%6Fk/x?q=/no/../..", "/ok/x", "/ok/x?q=/no/../..")]
    [InlineData("/../../etc", "/etc", "/etc")]
    [InlineData("/dir/", "/dir/", "/dir/")]
    [InlineData("/a/b/..", "/a/", "/a/")]
    [InlineData("/", "/", "/")]
    // npm's scoped packages: an encoded '/' inside a segment, kept encoded.
    [InlineData("/@types%2fnode", "/@types%2Fnode", "/@types%2Fnode")]
    [InlineData("/a%20b/%c3%a9", "/a b/é", "/a%20b/%C3%A9")]
    [InlineData("/x;v=1/y", "/x;v=1/y", "/x;v=1/y")]
    public void A_path_is_matched_and_forwarded_normalized(string target, string matched, string forwarded)
    {
        var path = HttpPath.Parse(target);
        Assert.Equal(matched, path.Matched);
        Assert.Equal(forwarded, path.Forwarded);
    }

    [Theory]
    [InlineData("/ok/..%2fno", "hides a '.' or '..' segment")]
    [InlineData("/ok/..%2Fno", "hides a '.' or '..' segment")]
    [InlineData("/ok/%2e%2e%2fno", "hides a '.' or '..' segment")]
    [InlineData("/ok/x%2F..%2F..%2Fno", "hides a '.' or '..' segment")]
    [InlineData("/ok/..;/no", "hides a '.' or '..' segment")]
    [InlineData("/ok/.;x/no", "hides a '.' or '..' segment")]
    [InlineData("/ok/..%5cno", "backslash")]
    [InlineData("/ok/%5C..%5Cno", "backslash")]
    [InlineData("/ok/..\\no", "backslash")]
    [InlineData("/ok/x%00", "control character or NUL")]
    [InlineData("/ok/x%0d%0aHost:%20evil", "control character or NUL")]
    [InlineData("/ok/%zz", "not followed by two hex digits")]
    [InlineData("/ok/%2", "not followed by two hex digits")]
    [InlineData("/ok/%c0%ae%c0%ae/no", "not UTF-8")]
    [InlineData("/ok/x#frag", "fragment")]
    [InlineData("/ok/\u00e9", "must be percent-encoded")]
    [InlineData("ok/x", "does not start with '/'")]
    public void A_path_servers_read_in_different_ways_is_refused_naming_why(string target, string why) =>
        Assert.Contains(why, Assert.Throws<FormatException>(() => HttpPath.Parse(target)).Message);

    [Theory]
    // Tomcat and Jetty serve /ok/x;p/y as /ok/x/y, others as it is: both must be allowed.
    [InlineData("/ok/x;p/y", true)]
    [InlineData("/ok;p/y", false)]
    [InlineData("/ok/x", true)]
    [InlineData("/no", false)]
    public void An_allow_rule_must_match_every_reading_of_a_path(string target, bool allowed) =>
        Assert.Equal(allowed, Access(["GET 127.0.0.1/ok/*"], []).Allows("GET", "127.0.0.1", "127.0.0.1", HttpPath.Parse(target), out _));

    [Theory]
    [InlineData("/upload", false)]
    [InlineData("/upload/", false)]
    [InlineData("/upload;x", false)]
    [InlineData("//upload", false)]
    [InlineData("/ok/../upload", false)]
    [InlineData("/uploads", true)]
    public void A_deny_rule_refuses_any_reading_of_a_path(string target, bool allowed) =>
        Assert.Equal(allowed, Access(["* */*"], ["POST */upload"]).Allows("POST", "127.0.0.1", "127.0.0.1", HttpPath.Parse(target), out _));

    [Fact]
    public void A_deny_rule_naming_an_address_refuses_a_request_naming_the_host_otherwise()
    {
        var access = Access(["* */*"], ["* 127.0.0.1/*"]);
        Assert.False(access.Allows("GET", "localhost", "127.0.0.1", HttpPath.Parse("/x"), out var reason));
        Assert.Contains("'* 127.0.0.1/*'", reason);
        Assert.True(access.Allows("GET", "localhost", "127.0.0.2", HttpPath.Parse("/x"), out _));
    }

    private static HttpAccess Access(string[] allow, string[] deny) =>
        new([.. allow.Select(r => HttpRule.Parse(r, "--http-allow"))], [.. deny.Select(r => HttpRule.Parse(r, "--http-deny"))]);
}
