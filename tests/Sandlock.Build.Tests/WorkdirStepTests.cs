using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>&lt;SandlockExec Workdir="..."&gt;, built for real with the packed package: a failing step leaves the folder untouched.</summary>
public sealed class WorkdirStepTests
{
    private static async Task<(FixtureProject Project, string Workdir)> ProjectWithWorkdir()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var workdir = Directory.CreateDirectory(Path.Combine(project.Directory, "wd")).FullName;
        await File.WriteAllTextAsync(Path.Combine(workdir, "b"), "b\n");
        foreach (var path in new[] { workdir, Path.Combine(workdir, "b") })
            File.SetUnixFileMode(path, (UnixFileMode)(Directory.Exists(path) ? 0b111_111_111 : 0b110_110_110));
        return (project, workdir);
    }

    private static string[] Listing(string folder) => [.. Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public async Task A_failing_step_leaves_its_workdir_untouched_and_a_succeeding_one_commits()
    {
        var (project, workdir) = await ProjectWithWorkdir();

        var failed = await project.BuildAsync("WorkdirStep", new Dictionary<string, string> { ["StepExit"] = "1" });
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Equal(["b"], Listing(workdir));

        var done = await project.BuildAsync("WorkdirStep", new Dictionary<string, string> { ["StepExit"] = "0" });
        Assert.True(done.ExitCode == 0, done.ToString());
        Assert.Equal(["a"], Listing(workdir));
        Assert.Equal("new\n", await File.ReadAllTextAsync(Path.Combine(workdir, "a")));
    }

    [Fact]
    public async Task SandlockDryRun_logs_the_changes_and_keeps_none()
    {
        var (project, workdir) = await ProjectWithWorkdir();

        var build = await project.BuildAsync("WorkdirStep", new Dictionary<string, string> { ["StepExit"] = "0", ["SandlockDryRun"] = "true" });

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains($"A {Path.Combine(workdir, "a")}", build.Output);
        Assert.Contains($"D {Path.Combine(workdir, "b")}", build.Output);
        Assert.Equal(["b"], Listing(workdir));
    }
}
