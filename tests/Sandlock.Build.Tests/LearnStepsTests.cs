using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>
/// <c>SandlockLearn=true</c> with the packed package: the project's routed steps run observed, and one policy file
/// (obj/sandlock.learned.toml) names what all of them used, without the secret one of them read.
/// </summary>
public sealed class LearnStepsTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_steps_of_a_project_are_learned_into_one_file(bool unprivileged)
    {
        var project = await FixtureProject.CopyAsync("BuildSteps", unprivileged: unprivileged);

        var build = await project.BuildAsync("LearnSteps", new Dictionary<string, string> { ["SandlockRouteExec"] = "true", ["SandlockLearn"] = "true" });

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("warning SLK0010: SandlockLearn: the step runs observed", build.Output);
        var learnFile = Path.Combine(project.Directory, "obj", "sandlock.learned.toml");
        Assert.Contains($"SandlockLearn: wrote {learnFile} from 3 step(s)", build.Output);
        Assert.Contains("SandlockLearn: not granted: read by cat: " + Path.Combine(project.Home, ".ssh", "id_rsa"), build.Output);

        var text = await File.ReadAllTextAsync(learnFile);
        Assert.True(text.Contains("#   sh -c 'cat input.txt'\n#   sh -c 'echo learned > obj/learned-out.txt'\n", StringComparison.Ordinal), text);
        Assert.DoesNotContain(FixtureProject.SecretText, text);
        Assert.Contains($"\"{project.Directory}\",  # read by cat: input.txt", text);
        Assert.Contains($"\"{Path.Combine(project.Directory, "obj")}\",  # changed by sh: learned-out.txt", text);
        Assert.DoesNotContain("\"/\"", text);
        Assert.DoesNotContain($"\"{project.Home}", text);
    }

    [Fact]
    public async Task Without_SandlockLearn_nothing_is_learned()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");

        var build = await project.BuildAsync("EchoHi");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.DoesNotContain("SLK0010", build.Output);
        Assert.False(File.Exists(Path.Combine(project.Directory, "obj", "sandlock.learned.toml")));
    }
}
