using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>&lt;SandlockReproCheck&gt;, built for real with the packed package.</summary>
public sealed class ReproCheckTaskTests
{
    [Fact]
    public async Task A_command_that_prints_and_writes_the_same_bytes_is_reproducible()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync("ReproStable");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("reproducible: 3 runs produced identical output and files", build.Output);
        Assert.Contains("REPRODUCIBLE=True", build.Output);
        Assert.Equal("stable\n", File.ReadAllText(Path.Combine(project.Directory, "obj", "repro.txt")));
    }

    [Fact]
    public async Task A_command_that_prints_its_process_id_fails_with_SLK0008_naming_the_line()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync("ReproPid");

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error SLK0008: not reproducible: stdout line 1: run 1 printed \"pid ", build.Output);
        Assert.DoesNotContain("MSB3073", build.Output);
    }
}
