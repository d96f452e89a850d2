using Sandlock.Lifecycle;
using Sandlock.Confinement;
using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Confinement;

/// <summary>The command runs with a directory as its root: the host's files are out of reach, policy paths are inside.</summary>
public sealed class ChrootTests : IDisposable
{
    private readonly MinimalRootfs _root = new();
    private readonly TempDir _host = new();

    public void Dispose()
    {
        _root.Dispose();
        _host.Dispose();
    }

    private SandboxPolicyBuilder Chrooted() => new SandboxPolicyBuilder().Chroot(_root.Path);

    [Fact]
    public async Task A_command_runs_inside_the_chroot()
    {
        var result = await Run(Chrooted(), "/bin/sh", "-c", "echo hi");
        AssertSucceeded(result);
        Assert.Equal("hi\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Etc_hostname_is_the_chroots_own()
    {
        var result = await Sh(Chrooted(), "read name < /etc/hostname && echo $name");
        AssertSucceeded(result);
        Assert.Equal(MinimalRootfs.Hostname, result.StandardOutputText);
    }

    [Fact]
    public async Task Host_files_cannot_be_reached_by_any_path()
    {
        var secret = _host.Write("secret.txt", "top secret");
        File.SetUnixFileMode(secret, (UnixFileMode)0b110_100_100);
        var climb = string.Concat(Enumerable.Repeat("../", 12));
        var result = await Sh(Chrooted(),
            $"read s < {secret}; echo \"$s\"; cd /..; pwd; cd {climb}; pwd; read s < .{secret}; echo \"$s\"; read s < {climb}{secret[1..]}; echo \"$s\"");
        Assert.DoesNotContain("top secret", result.StandardOutputText);
        Assert.Equal("\n/\n/\n\n\n", result.StandardOutputText);
        Assert.Contains("No such file", result.StandardErrorText);
    }

    [Fact]
    public async Task A_write_path_is_inside_the_chroot()
    {
        var result = await Sh(Chrooted().FsWrite("/out"), "echo x > /out/x && echo y > /x");
        AssertDenied(result);
        Assert.Equal("x\n", File.ReadAllText(_root.Host("/out/x")));
        Assert.False(File.Exists(_root.Host("/x")));
    }

    [Fact]
    public async Task Read_paths_are_inside_the_chroot_through_its_own_symlinks()
    {
        // /lib64 -> /usr/lib64 inside the root: the loader is allowed only if the link is followed inside.
        var reads = Chrooted().FsRead("/bin").FsRead("/lib").FsRead("/lib64");
        AssertDenied(await Sh(reads, "read name < /etc/hostname"));
        var allowed = await Sh(reads.FsRead("/etc"), "read name < /etc/hostname && echo $name");
        AssertSucceeded(allowed);
        Assert.Equal(MinimalRootfs.Hostname, allowed.StandardOutputText);
    }

    [Fact]
    public async Task The_working_directory_is_inside_the_chroot()
    {
        var result = await Sh(Chrooted().Cwd("/etc"), "pwd; read name < hostname && echo $name");
        AssertSucceeded(result);
        Assert.Equal("/etc\n" + MinimalRootfs.Hostname, result.StandardOutputText);
        var relative = await Sh(Chrooted().Cwd("/etc").FsRead("../bin").FsRead("/lib").FsRead("/lib64"), "read name < hostname");
        AssertDenied(relative);
    }

    [Fact]
    public async Task The_command_is_found_inside_the_chroot()
    {
        var result = await Run(Chrooted().Env("PATH=/usr/bin:/bin"), "sh", "-c", "echo found");
        AssertSucceeded(result);
        Assert.Equal("found\n", result.StandardOutputText);
        // cat exists on the host only.
        var error = await Assert.ThrowsAsync<SandboxSetupException>(() => Run(Chrooted().Env("PATH=/usr/bin:/bin"), "cat", "/etc/hostname"));
        Assert.Equal(SetupFailure.CommandNotFound, error.Failure);
    }

    [Fact]
    public void A_missing_or_non_directory_root_is_refused()
    {
        var missing = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().Chroot(_host["nope"], "--chroot").Build());
        Assert.Contains("--chroot", missing.Message);
        Assert.Contains("does not exist", missing.Message);
        var file = _host.Write("file", "");
        var notDirectory = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().Chroot(file).Build());
        Assert.StartsWith("chroot: not a directory", notDirectory.Message);
    }

    [Fact]
    public void Paths_climbing_out_of_the_chroot_are_refused()
    {
        var error = Assert.Throws<PolicyException>(() => Chrooted().FsRead("../..", "--fs-read").Build());
        Assert.Contains("--fs-read", error.Message);
        Assert.Contains("leaves the chroot", error.Message);
        var cwd = Assert.Throws<PolicyException>(() => Chrooted().Cwd("/etc/../../x").Build());
        Assert.StartsWith("cwd:", cwd.Message);
        var missing = Assert.Throws<PolicyException>(() => Chrooted().FsWrite("/nope").Build());
        Assert.Contains("inside the chroot", missing.Message);
    }

    [Fact]
    public async Task A_policy_file_names_the_chroot_beside_it_and_paths_inside()
    {
        var file = _host.Write("policy.toml", $"[filesystem]\nchroot = \"{_root.Path}\"\nwrite = [\"out\"]\n");
        var builder = new SandboxPolicyBuilder();
        Sandlock.Policy.Files.PolicyFile.Load(file).ApplyTo(builder);
        var policy = builder.Build();
        Assert.Equal(_root.Path, policy.Chroot);
        Assert.Equal(["/out"], policy.FsWritable.ToArray());
        AssertSucceeded(await Run(policy, "/bin/sh", "-c", "echo x > /out/from-file"));
        Assert.True(File.Exists(_root.Host("/out/from-file")));
    }

    [Fact]
    public async Task A_policy_callback_sees_paths_inside_the_chroot_also_for_relative_opens()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        PolicyVerdict Callback(SyscallActivity activity, LivePolicy live)
        {
            if (activity.Category == ActivityCategory.File && activity.Path is { } path) seen.Enqueue(path);
            live.DenyPath("/etc/hostname");
            return PolicyVerdict.Allow;
        }
        await using var sandbox = new Sandbox(Chrooted().FsRead("/").Build(), ["/bin/sh", "-c", "cd /etc; read h < hostname; echo \"$h\""])
        {
            PolicyCallback = Callback,
            Timeout = TimeSpan.FromSeconds(60),
        };
        sandbox.Start();
        var result = await sandbox.WaitAsync();
        Assert.Equal("\n", result.StandardOutputText);
        Assert.Contains(result.Denials, d => d.Target == "/etc/hostname");
        Assert.DoesNotContain(seen, p => p.StartsWith(_root.Path, StringComparison.Ordinal));
    }

    [Fact]
    public void A_symlink_swapped_in_after_planning_cannot_lead_a_rule_out_of_the_chroot()
    {
        var plan = ConfinementPlan.Create(Chrooted().FsWrite("/out").Build());
        Directory.Delete(_root.Host("/out"));
        // Opened on the host, the link would put the rule on the host's directory; inside the root it names nothing.
        File.CreateSymbolicLink(_root.Host("/out"), _host.Path);
        var error = Assert.Throws<SandboxSetupException>(() => Sandlock.Confinement.Landlock.LandlockRuleset.Create(plan)?.Dispose());
        Assert.Contains("No such file", error.Message);
    }

    [Fact]
    public void The_proc_view_is_off_under_chroot()
    {
        var policy = Chrooted().FsRead("/").Build();
        Assert.False(Sandlock.Supervision.Views.ProcView.AppliesTo(policy, KernelFeatures.Current));
        Assert.DoesNotContain(ConfinementPlan.Create(policy).FsRules, r => !r.Path.StartsWith(_root.Path, StringComparison.Ordinal));
    }
}
