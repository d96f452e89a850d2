using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>
/// A file the sandbox refuses a step is error SLK0001 naming it and the line that allows it, taken from the
/// supervisor's record rather than the program's words: also when the program swallows the error and exits 0, and
/// when the program is git. Built for real with the packed package, as root and as an ordinary user.
/// </summary>
public sealed class FilesystemDenialStepTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_routed_generator_writing_into_the_source_tree_fails_the_step_though_it_exits_0(bool unprivileged)
    {
        var project = await FixtureProject.CopyAsync("BuildSteps", unprivileged: unprivileged);
        var build = await project.BuildAsync("GenerateIntoSource", new Dictionary<string, string> { ["SandlockRouteExec"] = "true" });

        var generated = Path.Combine(project.Directory, "Foo.generated.cs");
        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains($"error SLK0001: the sandbox denied access to {generated} (a write", build.Output);
        Assert.Contains($"WritePaths=\"{project.Directory}\"", build.Output);
        Assert.False(File.Exists(generated));
    }

    [Fact]
    public async Task An_accepted_path_is_only_a_message()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync("GenerateIntoSourceAccepted");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.DoesNotContain("SLK0001", build.Output);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Git_reading_a_denied_configuration_is_named(bool unprivileged)
    {
        var project = await FixtureProject.CopyAsync("BuildSteps", unprivileged: unprivileged);
        var config = Path.Combine(project.Home, ".ssh", "gitconfig");
        await File.WriteAllTextAsync(config, "[user]\n\tname = Hidden\n");
        if (unprivileged) File.SetUnixFileMode(config, (UnixFileMode)0b110_110_110);

        var build = await project.BuildAsync("GitReadsDeniedConfig");

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains($"error SLK0001: the sandbox denied access to {config} (a read", build.Output);
    }

    [Fact]
    public async Task A_step_touching_only_what_it_may_logs_no_denial()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync("Writes");

        Assert.Contains("INSIDE_OK", build.Output);
        Assert.DoesNotContain("SLK0001: the sandbox denied access to " + Path.Combine(project.Directory, "obj"), build.Output);
    }

    [Fact]
    public async Task A_real_routed_build_running_git_describe_is_refused_nothing()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        foreach (var args in (string[][])[["init", "-q"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x"], ["tag", "v1.2.3"]])
        {
            using var git = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", ["-C", project.Directory, .. args]))!;
            await git.WaitForExitAsync();
            Assert.Equal(0, git.ExitCode);
        }

        var build = await project.BuildAsync(properties: new Dictionary<string, string>
        {
            ["SandlockRouteExec"] = "true", ["PreBuildEvent"] = "git describe --tags",
        });

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("v1.2.3", build.Output);
        Assert.DoesNotContain("SLK0001", build.Output);
    }

    [Fact]
    public async Task A_routed_step_running_the_dotnet_host_is_refused_nothing()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync(properties: new Dictionary<string, string>
        {
            ["SandlockRouteExec"] = "true", ["PreBuildEvent"] = "dotnet --version",
        });

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.DoesNotContain("SLK0001", build.Output);
    }
}
