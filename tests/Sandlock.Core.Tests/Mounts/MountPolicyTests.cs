using Sandlock.Lifecycle;
using Sandlock.Confinement;
using Sandlock.Policy;
using Sandlock.Tests.TestSupport;

namespace Sandlock.Tests.Mounts;

/// <summary>A mount given wrongly is an error naming its source and what was expected, before anything starts.</summary>
public sealed class MountPolicyTests : IDisposable
{
    private readonly TempDir _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("/data", "expected VIRTUAL:HOST or VIRTUAL:HOST:ro")]
    [InlineData("/data:{0}:rw", "expected VIRTUAL:HOST or VIRTUAL:HOST:ro")]
    [InlineData("data:{0}", "must be an absolute path inside the sandbox")]
    [InlineData("/..:{0}", "must name a folder below the root")]
    [InlineData("/data:{0}/missing", "directory does not exist")]
    [InlineData("/data:{0}/file.txt", "is not a directory")]
    public void A_bad_mount_is_an_error_naming_the_flag(string spec, string expected)
    {
        _folder.Write("file.txt", "x");
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().FsMount(string.Format(spec, _folder.Path), "--fs-mount").Build());
        Assert.Contains("--fs-mount", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_kernel_without_fd_hand_over_refuses_to_start_a_mount_naming_what_it_lacks()
    {
        var policy = new SandboxPolicyBuilder().FsMount($"/data:{_folder.Path}").Build();
        var old = KernelFeatures.Current with { KernelRelease = "5.10.0-old" };
        var error = Assert.Throws<SandboxSetupException>(() => ConfinementPlan.Create(policy, old));
        Assert.Equal("fs_mount needs SECCOMP_ADDFD_FLAG_SEND and openat2 (Linux 5.14), which this kernel (5.10.0-old) lacks", error.Message);
    }

    [Fact]
    public void One_mount_point_takes_one_folder()
    {
        var builder = new SandboxPolicyBuilder().FsMount($"/data:{_folder.Path}");
        var error = Assert.Throws<PolicyException>(() => builder.FsMount($"/data/:{_folder.Path}:ro", "sandlock.toml:4:9"));
        Assert.Contains("sandlock.toml:4:9", error.Message);
        Assert.Contains("already a mount point", error.Message);
    }

    [Fact]
    public void A_relative_host_folder_is_taken_from_the_policy_files_folder()
    {
        _folder.Mkdir("shared");
        var policy = new SandboxPolicyBuilder { BaseDirectory = _folder.Path }.FsMount("/srv/shared/./:shared:ro").Build();
        var mount = Assert.Single(policy.FsMounts);
        Assert.Equal(new FsMount("/srv/shared", Interop.LibcPaths.RealPath(_folder["shared"])!, ReadOnly: true), mount);
    }
}
