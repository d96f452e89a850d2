using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>RandomSeed, TimeStart and DeterministicDirs of &lt;SandlockExec&gt; pin what a .NET program prints.</summary>
public sealed class DeterminismTaskTests
{
    private static readonly string SampleProgram = Path.Combine(Repository.Root, "artifacts", "bin", "Sandlock.TestPrograms",
        Repository.Configuration.ToLowerInvariant(), "Sandlock.TestPrograms.dll");

    /// <summary>
    /// The sample's lines, from a build whose draws fell in the virtual clock's first second (the last line): .NET
    /// mixes that second into Random and string hashes at its first draw, so a build that a loaded machine slowed
    /// past it is not evidence either way, and is run again.
    /// </summary>
    private static async Task<string> Sample(FixtureProject project, ulong seed)
    {
        const int attempts = 3;
        var outputs = new List<string>();
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            // A folder whose entries are created in another order for every build.
            var folder = Path.Combine(project.Directory, "sample-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            foreach (var name in new[] { "one", "two", "three", "four", "five", "six" }.OrderBy(_ => Random.Shared.Next()))
                File.WriteAllText(Path.Combine(folder, name), name);
            var build = await project.BuildAsync("Sample", new Dictionary<string, string>
            {
                ["SampleProgram"] = SampleProgram, ["SampleFolder"] = folder, ["Seed"] = seed.ToString(),
            });
            Assert.True(build.ExitCode == 0, build.ToString());
            var lines = string.Join('\n', build.Output.Split('\n').Where(l => l.Contains("SAMPLE|")).Select(l => l.Trim()));
            if (lines.EndsWith("SAMPLE|2000-01-01T00:00:00", StringComparison.Ordinal)) return lines;
            outputs.Add(lines);
        }
        Assert.Fail($"the sample's draws never fell in the virtual clock's first second in {attempts} builds:\n{string.Join("\n--\n", outputs)}");
        return "";
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
