using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>RandomSeed, TimeStart and DeterministicDirs of &lt;SandlockExec&gt; pin what a .NET program prints.</summary>
public sealed class DeterminismTaskTests
{
    private static readonly string SampleProgram = Path.Combine(Repository.Root, "artifacts", "bin", "Sandlock.TestPrograms",
        Repository.Configuration.ToLowerInvariant(), "Sandlock.TestPrograms.dll");

    /// <summary>The sample's lines, from a build in a folder whose entries are created in another order each time.</summary>
    private static async Task<string> Sample(FixtureProject project, ulong seed)
    {
        var folder = Path.Combine(project.Directory, "sample-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        foreach (var name in new[] { "one", "two", "three", "four", "five", "six" }.OrderBy(_ => Random.Shared.Next()))
            File.WriteAllText(Path.Combine(folder, name), name);
        var build = await project.BuildAsync("Sample", new Dictionary<string, string>
        {
            ["SampleProgram"] = SampleProgram, ["SampleFolder"] = folder, ["Seed"] = seed.ToString(),
        });
        Assert.True(build.ExitCode == 0, build.ToString());
        return string.Join('\n', build.Output.Split('\n').Where(l => l.Contains("SAMPLE|")).Select(l => l.Trim()));
    }

    [Fact]
    public async Task Two_builds_under_one_seed_print_identical_lines_and_another_seed_differs()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var first = await Sample(project, 7);
        var second = await Sample(project, 7);
        var other = await Sample(project, 8);

        Assert.Equal(first, second);
        Assert.StartsWith("SAMPLE|2000\n", first);
        Assert.Contains("SAMPLE|five,four,one,six,three,two", first);
        // Every line that comes from the seed differs: the two Guids, the Random sequence, Random.Shared and the hash.
        var (mine, theirs) = (first.Split('\n'), other.Split('\n'));
        foreach (var line in new[] { 1, 2, 3, 4 }) Assert.NotEqual(mine[line], theirs[line]);
    }
}
