namespace Sandlock.Testing.Tests.Support;

/// <summary>
/// What both fixtures' DeterminismTests must show: the same seed and clock print the same bytes in separate
/// children (Random and string hashes included, though a test host draws after seconds of start-up), another seed
/// other bytes, and a test seeded from its name the same bytes on another run.
/// </summary>
public static class DeterminismChecks
{
    /// <param name="prefix">How the framework names the tests in the TRX (xunit: namespace and class).</param>
    public static void SameSeedSameBytes(TrxReport report, string prefix)
    {
        var first = report[prefix + "SeedSevenFirst"];
        var second = report[prefix + "SeedSevenSecond"];
        var other = report[prefix + "SeedEight"];
        Assert.Equal(("Passed", "Passed", "Passed"), (first.Outcome, second.Outcome, other.Outcome));
        var lines = first.StdOut.Trim().Split('\n');
        Assert.Equal("2000", lines[0]);
        Assert.Equal("five,four,one,six,three,two", lines[6].Trim());
        Assert.Equal(first.StdOut, second.StdOut);
        // Every line that comes from the seed differs: the Guids, the Random sequence, Random.Shared and the hash.
        var otherLines = other.StdOut.Trim().Split('\n');
        foreach (var line in new[] { 1, 2, 3, 4 }) Assert.NotEqual(lines[line], otherLines[line]);
    }

    public static async Task NameSeededTestRepeats(FixtureTestRun run, string prefix)
    {
        var again = await run.RunAgain("FullyQualifiedName~DeterminismTests.SeedFromName");
        var first = run.Report[prefix + "SeedFromName"];
        Assert.Equal("Passed", first.Outcome);
        Assert.Equal(first.StdOut, again[prefix + "SeedFromName"].StdOut);
        Assert.NotEqual(first.StdOut, run.Report[prefix + "SeedSevenFirst"].StdOut);
    }
}
