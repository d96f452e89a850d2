using System.Text.RegularExpressions;
using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>Steps with one policy run in one session: they share its temp folder, which goes when the build ends.</summary>
public sealed class StepSessionTests
{
    [Fact]
    public async Task Steps_with_one_policy_share_a_session_and_its_temp_folder_goes_with_the_build()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");

        var build = await project.BuildAsync("SessionSteps");

        Assert.True(build.ExitCode == 0, build.ToString());
        var second = Regex.Match(build.Output, @"SECOND=\[(?<marker>[^\]`]*)\] TMP=\[(?<tmp>[^\]]*)\]");
        Assert.True(second.Success, build.Output);
        Assert.Equal("from-step-1", second.Groups["marker"].Value);
        // Another policy (other EnvironmentVariables), another session with a temp folder of its own.
        // The Message line (the command text names both answers).
        Assert.Matches(@"TMP=\[[^\]]*\] OTHER=separate", build.Output);
        var temp = second.Groups["tmp"].Value;
        Assert.StartsWith("/", temp);
        Assert.False(Directory.Exists(temp), $"the session's temp folder {temp} outlived the build");
    }

    [Fact]
    public async Task A_step_of_another_project_on_the_node_does_not_end_a_yielded_steps_session_under_it()
    {
        var project = await FixtureProject.CopyAsync("YieldedSteps");

        // One node, and no limit on the requests it may take while one yields: Quick is built on it while Slow's step
        // has yielded it; Slow's step waits for Quick's.
        var build = await project.BuildAsync(environment: new Dictionary<string, string> { ["MSBUILDSCHEDULINGUNLIMITED"] = "1" },
            switches: ["-m:1"]);

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("QUICK-RAN", build.Output);
        Assert.Contains("SLOW-FINISHED-AFTER-QUICK", build.Output.Replace("echo SLOW-FINISHED-AFTER-QUICK", ""));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_step_after_the_policy_file_or_the_parameters_changed_runs_with_the_new_policy(bool unprivileged)
    {
        var project = await FixtureProject.CopyAsync("PolicyFiles", unprivileged: unprivileged);
        var policy = Path.Combine(project.Directory, "sandlock.toml");
        await File.WriteAllTextAsync(policy, "[filesystem]\n");
        // The build rewrites it, as whichever user it runs as.
        File.SetUnixFileMode(policy, (UnixFileMode)0b110_110_110);

        var build = await project.BuildAsync("PolicyChangesBetweenSteps");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("FIRST=refused", build.Output);
        // Allowed by ReadPaths, then by the rewritten file; refused again once the file no longer allows it.
        Assert.Matches($@"BY-PARAMETER\s+{Regex.Escape(FixtureProject.SecretText)}", build.Output);
        Assert.Matches($@"BY-FILE\s+{Regex.Escape(FixtureProject.SecretText)}", build.Output);
        Assert.Contains("LAST=refused", build.Output);
        Assert.Equal(2, Regex.Matches(build.Output, Regex.Escape(FixtureProject.SecretText)).Count);
    }
}
