using Sandlock.Policy.Files;
using Sandlock.Policy.Settings;
using Sandlock.Tests.TestSupport;

namespace Sandlock.Tests.Policy;

/// <summary>
/// A policy written as a sandlock.toml (what a checkpoint keeps) reads back as the same policy: every setting of the
/// table, through the same reader as a user's file.
/// </summary>
public sealed class PolicyFileWriterTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Every setting with a file key away from its default, but those that need a chroot or mounts.</summary>
    private SandboxPolicy Full() => new SandboxPolicyBuilder()
        .Env("PLAIN=1").Env("ODD=a \"quoted\" \\ value\twith\ttabs = signs")
        .Cwd(_dir.Mkdir("cwd")).Uid(1000).Gid(1000).CleanEnv().NoCoredump().NoHugePages()
        .FsRead("/usr").FsRead(_dir.Mkdir("read \"odd\" name")).FsWrite(_dir.Mkdir("write")).FsDeny("/usr/share/doc")
        .NetAllow("example.com:443").NetAllow("udp://10.0.0.1:53").NetAllow("icmp://*").NetAllow("icmp://10.0.0.2").NetAllow("[::1]:80,81")
        .NetAllow(":8080").NetAllow("*:*").NetDeny("10.0.0.0/8:*")
        .NetAllowBind("8000-8002").NetDenyBind("22").PortRemap()
        .HttpAllow("GET example.com/api/*").HttpAllow("* [::1]/").HttpDeny("POST *.example.com/admin*").HttpPort("8080").HttpAuth("example.com=TOKEN")
        .ExtraAllowSyscall("sysv_ipc").ExtraDenySyscall("ptrace")
        .MaxMemory("512M").MaxProcesses(10).MaxOpenFiles(100).Cpu(50).MaxDisk("1500000").CpuCores([0, 1]).NumCpus(1)
        .RandomSeed(ulong.MaxValue).TimeStart("2000-01-02T03:04:05.678+01:00").DeterministicDirs().NoRandomizeMemory()
        .Workdir(_dir.Mkdir("work")).FsStorage(_dir.Mkdir("storage")).OnExit(BranchAction.Keep).OnError(BranchAction.Commit)
        .HttpCa(_dir["ca.pem"]).HttpKey(_dir["key.pem"])
        .Build();

    private SandboxPolicy ReadBack(SandboxPolicy policy)
    {
        var written = PolicyFileWriter.Write(policy, ["a header", "on two lines\nat most"]);
        var file = _dir.Write("written.toml", written.Text);
        var builder = new SandboxPolicyBuilder();
        PolicyFile.Load(file).ApplyTo(builder);
        foreach (var (name, values) in written.Beyond)
            foreach (var value in values) PolicySettings.All.Single(s => s.Name == name).Apply(builder, value, name);
        return builder.Build();
    }

    private static void AssertSame(SandboxPolicy expected, SandboxPolicy actual)
    {
        foreach (var setting in PolicySettings.All)
            Assert.True(expected.ValuesIn(setting).SequenceEqual(actual.ValuesIn(setting)),
                $"{setting.Name}: wrote [{string.Join(", ", expected.ValuesIn(setting))}], read back [{string.Join(", ", actual.ValuesIn(setting))}]");
    }

    [Fact]
    public void Every_setting_of_a_policy_file_reads_back_as_written()
    {
        var policy = Full();
        var read = ReadBack(policy);
        AssertSame(policy, read);
        // The fields themselves, not only their texts.
        Assert.Equal(policy.Env, read.Env);
        Assert.Equal(policy.FsReadable.ToArray(), read.FsReadable.ToArray());
        Assert.Equal(policy.NetAllow.Select(r => r.ToString()), read.NetAllow.Select(r => r.ToString()));
        Assert.Equal(policy.TimeStart, read.TimeStart);
        Assert.Equal(policy.MaxDisk, read.MaxDisk);
        Assert.Equal(policy.HttpAllow.ToArray(), read.HttpAllow.ToArray());
        // A new setting must be given a value here, or the round trip does not cover it.
        var untested = PolicySettings.All.Where(s => s.FileKey is not null && !policy.ValuesIn(s).Any()).Select(s => s.Name);
        Assert.Equal([SettingNames.Chroot, SettingNames.FsMount, SettingNames.GpuDevices], untested.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_chroot_and_mounts_read_back_as_written()
    {
        var root = _dir.Mkdir("root");
        Directory.CreateDirectory(Path.Combine(root, "usr"));
        var policy = new SandboxPolicyBuilder().Chroot(root).FsRead("/usr").FsMount($"/data:{_dir.Mkdir("data")}:ro").FsMount($"/out:{_dir.Mkdir("out")}").Build();
        var read = ReadBack(policy);
        AssertSame(policy, read);
        Assert.Equal(policy.FsMounts.ToArray(), read.FsMounts.ToArray());
    }

    [Fact]
    public void Settings_a_policy_file_has_no_key_for_are_kept_beside_it_and_read_back()
    {
        var policy = new SandboxPolicyBuilder().Name("kept-name").NoSupervisor().AllowDegraded("landlock").Disable("landlock-net").Build();
        Assert.Equal(PolicySettingsTests.WithoutFileKey.Order(StringComparer.Ordinal), PolicyFileWriter.Write(policy, []).Beyond.Keys.Order(StringComparer.Ordinal));
        var read = ReadBack(policy);
        AssertSame(policy, read);
        Assert.Equal(policy.AllowDegraded.Order(), read.AllowDegraded.Order());
    }

    [Theory]
    [InlineData(9223372036854775807UL, "random_seed = 9223372036854775807")]
    [InlineData(9223372036854775808UL, "random_seed = \"9223372036854775808\"")]
    [InlineData(ulong.MaxValue, "random_seed = \"18446744073709551615\"")]
    public void A_seed_past_what_TOML_integers_hold_is_written_as_a_string_of_digits_and_read_back(ulong seed, string line)
    {
        var policy = new SandboxPolicyBuilder().RandomSeed(seed).Build();
        var written = PolicyFileWriter.Write(policy, []);
        Assert.Contains(line, written.Text.Split('\n').Select(l => l.TrimEnd('\r')));
        Assert.Empty(written.Beyond);
        Assert.Equal(seed, ReadBack(policy).RandomSeed);
    }

    [Fact]
    public void A_default_policy_writes_no_setting()
    {
        var written = PolicyFileWriter.Write(SandboxPolicy.Default, ["header"]);
        Assert.Equal("# header\n", written.Text.ReplaceLineEndings("\n"));
        Assert.Empty(written.Beyond);
    }
}

internal static class SettingValues
{
    public static IEnumerable<string> ValuesIn(this SandboxPolicy policy, PolicySetting setting) => setting.ValuesIn(policy);
}
