using Sandlock.Confinement;
using Sandlock.Policy;

namespace Sandlock.Tests.Policy;

public sealed class PolicyBuilderTests
{
    [Theory]
    [InlineData("512M", 512L << 20)]
    [InlineData("1G", 1L << 30)]
    [InlineData("64k", 64L << 10)]
    [InlineData("2048", 2048L)]
    [InlineData("1GiB", 1L << 30)]
    public void Sizes_parse(string text, long bytes) => Assert.Equal(bytes, ByteSize.Parse(text, "--max-memory").Bytes);

    [Theory]
    [InlineData("12X")]
    [InlineData("")]
    [InlineData("-5M")]
    [InlineData("M")]
    public void Bad_sizes_name_the_value_and_the_source(string text)
    {
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().MaxMemory(text, "--max-memory"));
        Assert.Contains($"'{text}'", error.Message);
        Assert.StartsWith("--max-memory:", error.Message);
    }

    [Fact]
    public void A_variable_is_set_by_name_and_value_or_by_one_assignment()
    {
        var policy = new SandboxPolicyBuilder().Env("TMPDIR", "/tmp/x").Env("GREETING=hello").Env("EMPTY", "").Build();
        Assert.Equal("/tmp/x", policy.Env["TMPDIR"]);
        Assert.Equal("hello", policy.Env["GREETING"]);
        Assert.Equal("", policy.Env["EMPTY"]);
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().Env("NO_VALUE"));
        Assert.Contains("expected KEY=VALUE", error.Message);
    }

    [Fact]
    public void Many_variables_are_set_at_once_over_those_set_before_and_each_is_checked()
    {
        var policy = new SandboxPolicyBuilder().Env("KEPT", "1").Env("REPLACED", "old")
            .Env([new("REPLACED", "new"), new("ADDED", "2")], "the build's environment").Build();
        Assert.Equal(new Dictionary<string, string> { ["KEPT"] = "1", ["REPLACED"] = "new", ["ADDED"] = "2" }, policy.Env);
        var badName = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().Env([new("GOOD", "1"), new("BAD=NAME", "2")], "the build's environment"));
        Assert.Equal("the build's environment: invalid environment variable name 'BAD=NAME'", badName.Message);
        var badValue = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().Env([new("A", "b\0c")]));
        Assert.Contains("invalid value for A: it contains a NUL character", badValue.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("http")]
    [InlineData("80-70")]
    public void Bad_ports_are_rejected(string ports)
    {
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().NetAllowBind(ports, "--net-allow-bind"));
        Assert.Contains("--net-allow-bind", error.Message);
    }

    [Theory]
    [InlineData("8080")]
    [InlineData("host")]
    [InlineData(":")]
    public void Bad_endpoint_specs_are_rejected(string spec)
    {
        Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().NetAllow(spec, "--net-allow"));
    }

    [Fact]
    public void Port_lists_and_ranges_parse()
    {
        var policy = new SandboxPolicyBuilder().NetAllowBind("80,443").NetAllowBind("8000-8002").NetAllow("*:22").Build();
        Assert.Equal<ushort>([80, 443, 8000, 8001, 8002], policy.NetBind.ToArray());
        Assert.Equal<ushort>([22], policy.NetAllow.Single().Ports.ToArray());
    }

    [Fact]
    public void Cpu_must_be_a_percentage()
    {
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().Cpu(150, "--cpu").Build());
        Assert.Contains("1 to 100", error.Message);
    }

    [Fact]
    public void Http_ca_and_key_go_together()
    {
        Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().HttpCa("/tmp/ca.pem").Build());
        Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().HttpKey("/tmp/key.pem").Build());
    }

    [Fact]
    public void Fs_isolation_needs_a_workdir()
    {
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().FsIsolation(FsIsolation.OverlayFs).Build());
        Assert.Contains("workdir", error.Message);
    }

    [Theory]
    [InlineData("fs_isolation")]
    public void Fields_whose_enforcement_is_not_built_are_refused_not_ignored(string field)
    {
        var b = new SandboxPolicyBuilder();
        _ = field switch
        {
            "max_memory" => b.MaxMemory("512M"),
            "max_processes" => b.MaxProcesses(10),
            "random_seed" => b.RandomSeed(42),
            "time_start" => b.TimeStart("2024-01-01T00:00:00Z"),
            "deterministic_dirs" => b.DeterministicDirs(),
            "http_allow" => b.HttpAllow("GET example.com/*"),
            "uid" => b.Uid(0),
            "fs_isolation" => b.Workdir("/tmp").FsIsolation(FsIsolation.OverlayFs),
            "fs_mount" => b.FsMount("/data:/tmp:ro"),
            "cpu_cores" => b.CpuCores([0]),
            _ => throw new ArgumentException(field),
        };
        var error = Assert.Throws<NotSupportedYetException>(() => b.Build());
        Assert.Contains($"not supported yet: {field}", error.Message);
    }

    [Theory]
    [InlineData("yesterday", "expected ISO 8601")]
    [InlineData("1969-12-31T23:59:59Z", "expected an instant from 1970 to 2199")]
    [InlineData("2200-01-01T00:00:00Z", "expected an instant from 1970 to 2199")]
    public void Bad_time_start_values_are_errors_that_name_the_flag(string value, string expected)
    {
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().TimeStart(value, "--time-start").Build());
        Assert.Contains("--time-start", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Missing_paths_are_errors_that_name_the_path_and_flag()
    {
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().FsRead("/no/such/dir", "--fs-read").Build());
        Assert.Contains("/no/such/dir", error.Message);
        Assert.Contains("--fs-read", error.Message);
    }

    [Fact]
    public void Relative_paths_resolve_against_the_base_directory()
    {
        var policy = new SandboxPolicyBuilder { BaseDirectory = "/usr" }.FsRead("share").Build();
        Assert.Equal(["/usr/share"], policy.FsReadable.ToArray());
    }

    [Fact]
    public void Unknown_protections_are_rejected_with_the_known_names()
    {
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().AllowDegraded("landlok-net", "--allow-degraded"));
        Assert.Contains("landlock-net", error.Message);
    }

    [Fact]
    public void The_policy_is_immutable_and_the_builder_starts_from_it()
    {
        var first = new SandboxPolicyBuilder().FsRead("/usr").Build();
        var second = first.ToBuilder().FsRead("/etc").Build();
        Assert.Equal(["/usr"], first.FsReadable.ToArray());
        Assert.Equal(["/usr", "/etc"], second.FsReadable.ToArray());
    }
}
