using System.Globalization;
using System.Text.RegularExpressions;
using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>
/// With Exec routed, the session of the project's plain steps is provisioned, and its first command's child confined,
/// as the project's build starts: the first step only launches, and the session goes with the build. (That the first step is
/// still confined by the project's policy: ExecRoutingTests, whose PreBuildEvent is such a first step.)
/// </summary>
public sealed class RoutedStepPreparationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_first_routed_step_runs_in_a_child_confined_before_the_compiler_ran(bool unprivileged)
    {
        var project = await FixtureProject.CopyAsync("BuildSteps", unprivileged: unprivileged);

        var build = await project.BuildAsync(properties: new Dictionary<string, string> { ["SandlockRouteExec"] = "true", ["RecordFirstStep"] = "true" });

        Assert.True(build.ExitCode == 0, build.ToString());
        var afterCompile = Regex.Match(build.Output, @"AFTER-COMPILE=(?<up>[0-9.]+)");
        var shellStart = Regex.Match(build.Output, @"SHELL-START=(?<start>[0-9.]+)");
        Assert.True(afterCompile.Success && shellStart.Success, build.Output);
        // The step runs after the compiler; its shell was made before the compiler ended, as the build started.
        Assert.True(double.Parse(shellStart.Groups["start"].Value, CultureInfo.InvariantCulture)
            < double.Parse(afterCompile.Groups["up"].Value, CultureInfo.InvariantCulture), build.Output);
    }

    [Fact]
    public async Task A_malformed_policy_file_is_reported_once_by_the_first_step_not_by_the_preparation()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var policy = Path.Combine(project.Directory, "sandlock.toml");
        await File.WriteAllTextAsync(policy, "[filesystem]\nread = [\"/usr\"]\nreed = [\"/tmp\"]\n");

        var build = await project.BuildAsync(properties: new Dictionary<string, string> { ["SandlockRouteExec"] = "true", ["RecordFirstStep"] = "true" });

        Assert.NotEqual(0, build.ExitCode);
        var error = $"{policy}(3,1): error SLK0002: unknown key 'reed' in [filesystem]";
        // Logged by the step (the console logger repeats it in its summary); the preparation met it first and said nothing.
        Assert.Equal(2, build.Output.Split(error).Length - 1);
        Assert.Contains("1 Error(s)", build.Output);
        Assert.DoesNotContain("SHELL-START", build.Output);
    }

    [Fact]
    public async Task Clean_prepares_nothing()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");

        var clean = await project.BuildAsync("Clean", new Dictionary<string, string> { ["SandlockRouteExec"] = "true" });

        Assert.True(clean.ExitCode == 0, clean.ToString());
        // A step's composition makes its output folders: none ran.
        Assert.False(Directory.Exists(Path.Combine(project.Directory, "bin")), clean.Output);
    }

    [Fact]
    public async Task A_session_prepared_for_a_project_without_steps_goes_with_the_build()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var temp = Directory.CreateTempSubdirectory("sandlock-prepared-").FullName;
        try
        {
            // The session's temp folder is made under the build's TMPDIR.
            var build = await project.BuildAsync(properties: new Dictionary<string, string> { ["SandlockRouteExec"] = "true" },
                environment: new Dictionary<string, string> { ["TMPDIR"] = temp });

            Assert.True(build.ExitCode == 0, build.ToString());
            Assert.Empty(Directory.GetDirectories(temp, "sandlock-session-*"));
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }
}
