using Sandlock.Policy;

namespace Sandlock.Tests.Policy;

/// <summary>The HTTP rule syntax, what a rule matches (on the normalized path) and the network rules HTTP rules open.</summary>
public sealed class HttpRuleTests
{
    [Theory]
    [InlineData("GET 127.0.0.1/ok/*", "GET", "127.0.0.1", "/ok/x", true)]
    [InlineData("GET 127.0.0.1/ok/*", "GET", "127.0.0.1", "/ok/", true)]
    [InlineData("GET 127.0.0.1/ok/*", "GET", "127.0.0.1", "/ok", false)]
    [InlineData("GET 127.0.0.1/ok/*", "POST", "127.0.0.1", "/ok/x", false)]
    [InlineData("GET 127.0.0.1/ok/*", "GET", "127.0.0.2", "/ok/x", false)]
    [InlineData("GET example.com/exact", "GET", "EXAMPLE.com", "/exact", true)]
    [InlineData("GET example.com/exact", "GET", "example.com", "/exact/more", false)]
    [InlineData("GET example.com", "GET", "example.com", "/anything", true)]
    [InlineData("* */upload*", "PUT", "any.host", "/upload/x", true)]
    [InlineData("GET *.example.com/*", "GET", "pkgs.example.com", "/x", true)]
    [InlineData("GET *.example.com/*", "GET", "example.org", "/x", false)]
    public void A_rule_matches_method_host_and_path(string rule, string method, string host, string path, bool matches) =>
        Assert.Equal(matches, HttpRule.Parse(rule, "--http-allow").Matches(method, host, path));

    [Theory]
    [InlineData("/ok/../no", "/no")]
    [InlineData("/ok/%2e%2e/no", "/no")]
    [InlineData("//ok///x", "/ok/x")]
    [InlineData("/%6Fk/x?q=/no", "/ok/x")]
    [InlineData("/a%2Fb", "/a/b")]
    [InlineData("/../../etc", "/etc")]
    [InlineData("/dir/", "/dir/")]
    public void Paths_are_matched_normalized(string target, string normalized) => Assert.Equal(normalized, HttpPaths.Normalize(target));

    [Theory]
    [InlineData("/ok/x", "/ok/x")]
    [InlineData("/ok/x%2F..%2F..%2Fno", "/ok/x/../../no", "/no")]
    [InlineData("/ok/..;/no", "/no", "/ok/..;/no")]
    [InlineData("/ok/x%5C..%5Cno", "/ok/x\\..\\no", "/ok/no")]
    [InlineData("/ok/x%252F..%252Fno", "/ok/x%2F..%2Fno", "/ok/x/../no", "/ok/no")]
    public void Every_reading_a_server_may_make_is_listed(string target, params string[] readings) =>
        Assert.Equal(readings.Order(StringComparer.Ordinal), HttpPaths.Readings(target).Order(StringComparer.Ordinal));

    [Theory]
    [InlineData("*")]
    [InlineData("example.com:443")]
    [InlineData("/a%00")]
    [InlineData("/a%2")]
    [InlineData("/a%C0%AF")]
    [InlineData("/a#b")]
    public void Paths_no_rule_can_judge_are_refused(string target) =>
        Assert.Throws<InvalidDataException>(() => HttpPaths.Readings(target));

    [Theory]
    [InlineData("127.1", "127.0.0.1")]
    [InlineData("0x7f.0.0.1", "127.0.0.1")]
    [InlineData("2130706433", "127.0.0.1")]
    [InlineData("::ffff:127.0.0.1", "127.0.0.1")]
    [InlineData("Example.COM.", "example.com")]
    [InlineData("*.Example.com", "*.example.com")]
    public void Hosts_are_compared_in_one_canonical_form(string host, string canonical) =>
        Assert.Equal(canonical, HttpRule.CanonicalHost(host));

    [Theory]
    [InlineData("GET")]
    [InlineData("get example.com/")]
    [InlineData("GET example.com:8080/x")]
    [InlineData("GET ex*ample.com/x")]
    [InlineData("GET example.com/a*b")]
    public void Bad_rules_are_refused_naming_the_flag(string rule)
    {
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().HttpAllow(rule, "--http-allow"));
        Assert.Contains("--http-allow", error.Message);
    }

    [Fact]
    public void Http_rules_open_the_http_ports_to_their_hosts_only()
    {
        var policy = new SandboxPolicyBuilder().HttpAllow("GET 127.0.0.1/ok/*").HttpDeny("POST 127.0.0.1/x").Build();
        Assert.Equal(["127.0.0.1:80,443"], HttpSettings.ImpliedNetRules(policy).Select(r => r.ToString()));
        var wildcard = new SandboxPolicyBuilder().HttpAllow("GET */x").HttpPort("8080").Build();
        Assert.Equal(["*:8080"], HttpSettings.ImpliedNetRules(wildcard).Select(r => r.ToString()));
    }

    [Theory]
    [InlineData("ports")]
    [InlineData("auth")]
    public void Http_settings_without_rules_are_refused(string setting)
    {
        var b = new SandboxPolicyBuilder();
        _ = setting == "ports" ? b.HttpPort("8080", "--http-port") : b.HttpAuth("example.com=TOKEN", "--http-auth");
        var error = Assert.Throws<PolicyException>(() => b.Build());
        Assert.Contains($"--http-{(setting == "ports" ? "port" : "auth")}", error.Message);
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("=TOKEN")]
    [InlineData("example.com=BAD-NAME")]
    public void Bad_credentials_are_refused(string assignment) =>
        Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().HttpAuth(assignment, "--http-auth"));

    [Theory]
    [InlineData("GET bücher.example/*", "xn--bcher-kva.example")]
    [InlineData("GET xn--bcher-kva.example/*", "xn--bcher-kva.example")]
    [InlineData("GET XN--BCHER-KVA.Example/*", "xn--bcher-kva.example")]
    [InlineData("GET BÜCHER.example./*", "xn--bcher-kva.example")]
    [InlineData("GET *.bücher.example/*", "pkgs.xn--bcher-kva.example")]
    [InlineData("GET bücher.example/*", "bücher.example")]
    [InlineData("GET xn--bcher-kva.example/*", "Bücher.Example.")]
    [InlineData("GET παράδειγμα.δοκιμή/*", "xn--hxajbheg2az3al.xn--jxalpdlp")]
    public void A_name_in_unicode_and_its_ascii_form_are_one_host(string rule, string requestHost) =>
        Assert.True(HttpRule.Parse(rule, "--http-allow").Matches("GET", HttpRule.CanonicalHost(requestHost), "/x"));

    [Theory]
    [InlineData("GET bücher.example/*", "bucher.example")]
    [InlineData("GET bücher.example/*", "xn--bcher-kva.example.evil")]
    [InlineData("GET *.bücher.example/*", "xn--bcher-kva.example")]
    public void Another_name_is_another_host(string rule, string requestHost) =>
        Assert.False(HttpRule.Parse(rule, "--http-allow").Matches("GET", HttpRule.CanonicalHost(requestHost), "/x"));

    [Theory]
    [InlineData("Bücher.Example.", "xn--bcher-kva.example")]
    [InlineData("*.BÜCHER.example", "*.xn--bcher-kva.example")]
    [InlineData("ß.de", "xn--zca.de")]
    [InlineData("my_host.bücher.example", "my_host.xn--bcher-kva.example")]
    [InlineData("XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example")]
    public void Names_are_compared_in_their_ascii_form(string host, string canonical) =>
        Assert.Equal(canonical, HttpRule.CanonicalHost(host));

    [Theory]
    [InlineData("xn--zz.example")]            // not punycode
    [InlineData("xn--bcher-2pa.example")]     // decodes to 'Bücher': upper case
    [InlineData("xn--a.example")]             // decodes to nothing
    [InlineData("bü_cher.example")]           // not a letter, digit or hyphen
    [InlineData("-bücher.example")]           // a leading hyphen
    [InlineData("ｂücher.example")]           // a full-width letter, which IDNA maps to 'b'
    [InlineData("bu\u0308cher.example")]     // not in normal form C
    [InlineData("bü\u200Dcher.example")]     // a joiner
    public void A_host_that_is_not_a_valid_internationalized_name_is_refused(string escaped)
    {
        var host = System.Text.RegularExpressions.Regex.Unescape(escaped);
        Assert.Throws<FormatException>(() => HttpRule.CanonicalHost(host));
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().HttpAllow($"GET {host}/*", "--http-allow"));
        Assert.Contains("--http-allow", error.Message);
        Assert.Contains($"'GET {host}/*'", error.Message);
    }

    [Theory]
    [InlineData("exa\\u0001mple.com")]      // a control character
    [InlineData("exa\\u007fmple.com")]
    [InlineData("user@example.com")]         // what a server may read as credentials and a host
    [InlineData("example.com%2eevil")]
    [InlineData("example..com")]             // an empty label
    [InlineData("exa;mple.com")]
    public void A_plain_host_with_a_character_no_host_name_has_is_refused(string escaped)
    {
        var host = System.Text.RegularExpressions.Regex.Unescape(escaped);
        Assert.Throws<FormatException>(() => HttpRule.CanonicalHost(host));
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().HttpAllow($"GET {host}/*", "--http-allow"));
        Assert.Contains("--http-allow", error.Message);
    }

    [Theory]
    [InlineData("_service._tcp.Example.com", "_service._tcp.example.com")]
    [InlineData("my-host-1.example", "my-host-1.example")]
    [InlineData("localhost", "localhost")]
    public void A_plain_host_keeps_letters_digits_hyphens_and_underscores(string host, string canonical) =>
        Assert.Equal(canonical, HttpRule.CanonicalHost(host));

    [Fact]
    public void A_credential_for_a_unicode_name_is_kept_under_its_ascii_form()
    {
        var policy = new SandboxPolicyBuilder().HttpAllow("GET bücher.example/*").HttpAuth("Bücher.example=TOKEN").Build();
        Assert.Equal(["xn--bcher-kva.example"], policy.HttpAuth.Keys);
    }
}
