using Sandlock.Policy;

namespace Sandlock.Tests.Policy;

/// <summary>Values at and past their limits: each refused with a one-line message naming the source, or accepted.</summary>
public sealed class BadValueTests
{
    private static PolicyException Refused(Func<SandboxPolicyBuilder, SandboxPolicyBuilder> set) =>
        Assert.Throws<PolicyException>(() => set(new SandboxPolicyBuilder()).Build());

    [Theory]
    [InlineData("localhost")]
    [InlineData("api.nuget.org.")]
    [InlineData("_srv.example.com")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    [InlineData("10.0.0.0/8")]
    [InlineData("xn--bcher-kva.example")]
    public void Host_names_addresses_and_blocks_are_accepted(string host) =>
        Assert.Equal(host.Trim('[', ']'), NetRule.Parse($"{host}:443", "--net-allow").Host);

    [Fact]
    public void The_longest_DNS_name_is_accepted()
    {
        var label = new string('a', 63);
        var name = $"{label}.{label}.{label}.{new string('b', 61)}";
        Assert.Equal(253, name.Length);
        Assert.Equal(name, NetRule.Parse($"{name}:1", "--net-allow").Host);
    }

    [Theory]
    [InlineData("a..b", "empty label")]
    [InlineData("-a.example", "starting or ending with '-'")]
    [InlineData("a b", "not a host name")]
    [InlineData("\u00e9.example", "not a host name")]
    [InlineData("1.2.3.999", "not an IPv4 address")]
    [InlineData("1.2.3.4/99", "not a CIDR block")]
    [InlineData("fe80::zz", "not an IPv6 address")]
    public void Malformed_hosts_name_the_flag_and_what_is_wrong(string host, string problem)
    {
        var e = Assert.Throws<PolicyException>(() => NetRule.Parse($"{host}:443", "--net-allow"));
        Assert.StartsWith("--net-allow: invalid network rule", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Overlong_names_and_labels_are_refused_also_for_icmp()
    {
        Assert.Contains("at most 253", Assert.Throws<PolicyException>(() => NetRule.Parse(new string('a', 300) + ":80", "s")).Message);
        Assert.Contains("at most 253", Assert.Throws<PolicyException>(() => NetRule.Parse("icmp://" + new string('a', 300), "s")).Message);
        Assert.Contains("at most 63", Assert.Throws<PolicyException>(() => NetRule.Parse(new string('a', 64) + ".com:80", "s")).Message);
    }

    [Fact]
    public void Memory_below_the_minimum_is_refused_stating_it_and_the_minimum_is_accepted()
    {
        Assert.Equal("--max-memory: invalid memory limit 1048575: expected at least 1M (a program's loader and C library alone take about that much)",
            Refused(b => b.MaxMemory("1048575", "--max-memory")).Message);
        Assert.Equal(1L << 20, new SandboxPolicyBuilder().MaxMemory("1M").Build().MaxMemory!.Value.Bytes);
    }

    [Fact]
    public void Open_files_and_processes_are_bounded_on_both_sides()
    {
        Assert.Contains("expected at least 4", Refused(b => b.MaxOpenFiles(3, "f")).Message);
        Assert.Contains("expected at most", Refused(b => b.MaxOpenFiles(int.MaxValue, "f")).Message);
        Assert.Equal(4, new SandboxPolicyBuilder().MaxOpenFiles(4).Build().MaxOpenFiles);
        Assert.Contains("expected at most 4194304", Refused(b => b.MaxProcesses(4194305, "p")).Message);
        Assert.Equal(4194304, new SandboxPolicyBuilder().MaxProcesses(4194304).Build().MaxProcesses);
    }

    [Fact]
    public void NULs_and_overlong_paths_are_refused_naming_the_source()
    {
        Assert.Equal("-r: invalid path '/usr\\0x': it contains a NUL character", Refused(b => b.FsRead("/usr\0x", "-r")).Message);
        Assert.StartsWith("-r: path too long (4097 bytes)", Refused(b => b.FsRead("/" + new string('a', 4096), "-r")).Message);
        Assert.Contains("NUL character", Refused(b => b.Env("A", "b\0c", "--env")).Message);
        Assert.Contains("not UTF-8", Refused(b => b.FsDeny("/tmp/secret\uFFFD", "--fs-deny")).Message);
    }

    [Theory]
    [InlineData("a\nb", "a\\nb")]
    [InlineData("tab\there", "tab\\there")]
    [InlineData("bell\a", "bell\\x07")]
    [InlineData("nel\u0085", "nel\\x85")]
    [InlineData("line\u2028sep", "line\\u2028sep")]
    [InlineData("caf\u00e9", "caf\u00e9")]
    public void Echoed_values_are_escaped_to_one_line(string value, string shown)
    {
        Assert.Equal(shown, DisplayText.OneLine(value));
        var e = Refused(b => b.Name(value, "--name"));
        Assert.Contains(shown, e.Message);
        Assert.DoesNotContain(e.Message, c => char.IsControl(c) || c is '\u2028');
    }

    [Fact]
    public void A_lone_surrogate_is_escaped_and_a_pair_is_kept()
    {
        // Built here: xunit cannot carry a lone surrogate through InlineData.
        Assert.Equal("lone\\ud800!", DisplayText.OneLine("lone" + (char)0xd800 + "!"));
        Assert.Equal("end\\udc00", DisplayText.OneLine("end" + (char)0xdc00));
        var pair = "pair" + char.ConvertFromUtf32(0x1f600);
        Assert.Equal(pair, DisplayText.OneLine(pair));
    }
}
