using Sandlock.Build.Tests.TestSupport;
using Sandlock.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>
/// &lt;SandlockExec&gt; under a policy file's <c>[filesystem] chroot</c>: the step runs in a minimal root (dash, cat and
/// libc) and sees only it; the defaults are what exists inside.
/// </summary>
public sealed class ChrootStepTests : IDisposable
{
    private const string Marker = "only-inside-the-chroot";
    private readonly MinimalRootfs _root = new("cat");

    public ChrootStepTests()
    {
        File.WriteAllText(_root.Host("/etc/marker"), Marker + "\n");
        Directory.CreateDirectory(_root.Host("/tmp"));
        // A /tmp like a distribution's: every user may make a folder there.
        File.SetUnixFileMode(_root.Host("/tmp"), (UnixFileMode)0b1_111_111_111);
    }

    public void Dispose() => _root.Dispose();

    private static async Task<FixtureProject> ChrootedProject(string chroot, bool unprivileged = false, string? parent = null)
    {
        var project = await FixtureProject.CopyAsync("ChrootSteps", unprivileged: unprivileged, parent: parent);
        await File.WriteAllTextAsync(Path.Combine(project.Directory, "sandlock.toml"), $"[filesystem]\nchroot = \"{chroot}\"\n");
        return project;
    }

    [Fact]
    public async Task The_step_reads_a_file_that_exists_only_inside_the_chroot()
    {
        var project = await ChrootedProject(_root.Path);
        var build = await project.BuildAsync("ReadMarker");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains(Marker, build.Output);
    }

    [Fact]
    public async Task A_host_file_is_out_of_reach_by_its_absolute_path_and_by_climbing()
    {
        var project = await ChrootedProject(_root.Path);
        var build = await project.BuildAsync("ReadHostSecret");

        Assert.NotEqual(0, build.ExitCode);
        Assert.DoesNotContain(FixtureProject.SecretText, build.Output);
        Assert.Contains("No such file", build.Output);
    }

    [Fact]
    public async Task The_step_writes_its_temp_folder_inside_the_chroot_and_nothing_else()
    {
        var project = await ChrootedProject(_root.Path);
        var written = await project.BuildAsync("WriteTemp");
        var outside = await project.BuildAsync("WriteOutsideTemp");

        Assert.True(written.ExitCode == 0, written.ToString());
        Assert.Contains("written 'in' temp", written.Output);
        Assert.Contains("TMPDIR=/tmp/sandlock-step-", written.Output);
        // The working directory (the project folder) is outside the chroot: the step starts at its root.
        Assert.Contains(" PWD=/" + Environment.NewLine, written.Output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root.Host("/tmp")));
        Assert.NotEqual(0, outside.ExitCode);
        Assert.Contains("Permission denied", outside.Output);
        Assert.False(File.Exists(_root.Host("/etc/written")));
    }

    [Fact]
    public async Task A_project_inside_the_chroot_is_seen_at_its_path_inside()
    {
        var project = await ChrootedProject(_root.Path, parent: _root.Path);
        await File.WriteAllTextAsync(Path.Combine(project.Directory, "input.txt"), "project input\n");
        var build = await project.BuildAsync("InsideProject");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("PWD=" + project.Directory[_root.Path.Length..] + Environment.NewLine, build.Output);
        Assert.Contains("project input", build.Output);
        Assert.Equal("built\n", File.ReadAllText(Path.Combine(project.Directory, "obj", "inside.txt")));
    }

    [Fact]
    public async Task A_project_mounted_into_the_chroot_is_where_the_step_starts_reads_and_writes()
    {
        var project = await FixtureProject.CopyAsync("ChrootSteps");
        await File.WriteAllTextAsync(Path.Combine(project.Directory, "sandlock.toml"),
            $"[filesystem]\nchroot = \"{_root.Path}\"\nmount = [\"/src:.\"]\n");
        await File.WriteAllTextAsync(Path.Combine(project.Directory, "input.txt"), "project input\n");
        var build = await project.BuildAsync("InsideProject");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("PWD=/src" + Environment.NewLine, build.Output);
        Assert.Contains("project input", build.Output);
        Assert.Equal("built\n", File.ReadAllText(Path.Combine(project.Directory, "obj", "inside.txt")));
    }

    [Fact]
    public async Task An_unprivileged_build_runs_its_step_in_the_chroot_too()
    {
        // chroot needs CAP_SYS_CHROOT: an ordinary user gets it in a user namespace of its own.
        var project = await ChrootedProject(_root.Path, unprivileged: true);
        var read = await project.BuildAsync("ReadMarker");
        var written = await project.BuildAsync("WriteTemp");
        var secret = await project.BuildAsync("ReadHostSecret");

        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Contains(Marker, read.Output);
        Assert.True(written.ExitCode == 0, written.ToString());
        Assert.Contains("TMPDIR=/tmp/sandlock-step-", written.Output);
        Assert.NotEqual(0, secret.ExitCode);
        Assert.DoesNotContain(FixtureProject.SecretText, secret.Output);
        Assert.Contains("No such file", secret.Output);
        var owner = await DotnetCommand.RunProgramAsync(project.Directory, "/usr/bin/stat", ["-c", "%u", Path.Combine(project.Directory, "obj")]);
        Assert.Equal($"{FixtureProject.UnprivilegedId}", owner.Output.Trim());
    }

    [Fact]
    public async Task A_chroot_that_does_not_exist_is_an_error_at_its_line_in_the_policy_file()
    {
        var project = await ChrootedProject("/no/such/rootfs");
        var policy = Path.Combine(project.Directory, "sandlock.toml");
        var build = await project.BuildAsync("ReadMarker");

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains($"{policy}(2,10): error SLK0002: directory does not exist: /no/such/rootfs", build.Output);
    }
}
