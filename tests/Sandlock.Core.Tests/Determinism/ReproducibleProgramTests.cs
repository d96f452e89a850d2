using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Determinism;

/// <summary>
/// The determinism issue's end-to-end case: a .NET program printing the year, Guids, a Random sequence, a HashSet's
/// order and a folder listing prints the same bytes on every run under one seed and time_start, whatever order the
/// folder's entries were created in.
/// </summary>
public sealed class ReproducibleProgramTests : IDisposable
{
    private const string Year2000 = "2000-01-01T00:00:00Z";
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private SandboxPolicyBuilder Pinned(string folder, ulong seed) =>
        DotnetPrograms.Policy().FsRead(folder).RandomSeed(seed).TimeStart(Year2000).DeterministicDirs();

    /// <summary>A fresh folder whose entries are created in a different order each time.</summary>
    private string ShuffledFolder()
    {
        var folder = _tmp.Mkdir(Guid.NewGuid().ToString("N"));
        foreach (var name in new[] { "one", "two", "three", "four", "five", "six" }.OrderBy(_ => Random.Shared.Next()))
            File.WriteAllText(Path.Combine(folder, name), name);
        return folder;
    }

    private async Task<string> Sample(ulong seed)
    {
        var folder = ShuffledFolder();
        var result = await Run(Pinned(folder, seed), DotnetPrograms.Command("sample", folder));
        AssertSucceeded(result);
        return result.StandardOutputText;
    }

    [Fact]
    public async Task Two_runs_under_one_seed_and_time_start_print_identical_bytes_and_another_seed_differs()
    {
        var first = await Sample(7);
        var second = await Sample(7);
        var other = await Sample(8);

        Assert.Equal(first, second);
        var lines = first.Split('\n');
        var otherLines = other.Split('\n');
        Assert.Equal("2000", lines[0]);
        Assert.Equal("five,four,one,six,three,two", lines[6]);
        Assert.NotEqual(lines[1], otherLines[1]);   // a Guid
        Assert.NotEqual(lines[3], otherLines[3]);   // the Random sequence
    }

    [Fact]
    public async Task RandomNumberGenerator_repeats_under_one_seed_with_a_fixed_memory_layout_and_another_seed_differs()
    {
        // OpenSSL's generator mixes addresses into what it draws: it repeats only without ASLR (and the same command
        // line and environment, which place the stack). Not the clock: the runs are more than a second apart. A clean
        // environment, since other tests of this process set variables (a longer environment moves the stack).
        async Task<string> Draw(ulong seed)
        {
            var result = await Run(DotnetPrograms.Policy().RandomSeed(seed).NoRandomizeMemory().CleanEnv(), DotnetPrograms.Command("random"));
            AssertSucceeded(result);
            return result.StandardOutputText.Split('\n')[2];
        }

        var first = await Draw(7);
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        Assert.Equal(first, await Draw(7));
        Assert.NotEqual(first, await Draw(8));
    }

    [Fact]
    public async Task Repro_check_passes_on_the_pinned_program_and_names_the_guid_when_the_seed_is_missing()
    {
        var folder = _tmp.Mkdir("written");
        foreach (var name in new[] { "b", "c", "a" }) File.WriteAllText(Path.Combine(folder, name), name);
        var pinned = Pinned(folder, 7).FsWrite(folder).Build();
        var unpinned = DotnetPrograms.Policy().FsWrite(folder).TimeStart(Year2000).DeterministicDirs().Build();

        var passing = await ReproCheck.RunAsync(pinned, DotnetPrograms.Command("sample", folder), 3);
        var failing = await ReproCheck.RunAsync(unpinned, DotnetPrograms.Command("sample", folder), 3);

        Assert.True(passing.Identical, passing.FirstDifference);
        Assert.False(failing.Identical);
        Assert.StartsWith("stdout line 2: run 1 printed", failing.FirstDifference);
    }
}
