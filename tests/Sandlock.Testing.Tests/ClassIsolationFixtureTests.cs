using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

public sealed class ClassIsolationFixtureRun : FixtureTestRun
{
    protected override string ProjectName => "ClassIsolationFixture";
}

/// <summary>
/// tests/fixtures/ClassIsolationFixture: [assembly: Sandboxed(Isolation = Class)], classes run side by side, the
/// first ones in children started before the test host asked for a test.
/// </summary>
[Collection(XunitFixtureTests.Collection)]
public sealed class ClassIsolationFixtureTests(ClassIsolationFixtureRun run) : IClassFixture<ClassIsolationFixtureRun>
{
    private static readonly string[] Classes = ["FirstClass", "SecondClass", "ThirdClass", "ClockClass"];

    private TrxReport Report => run.Report;

    private Dictionary<string, string> Printed(string @class, string test) =>
        Report[$"ClassIsolationFixture.{@class}.{test}"].StdOut.Trim().Split('\n').Select(l => l.Split(' ', 2)).ToDictionary(p => p[0], p => p[1]);

    [Fact]
    public void EveryTestPasses() => Assert.Equal(8, Report.Count("Passed"));

    [Fact]
    public void TheTestsOfAClassShareAChildAndNoTwoClassesDo()
    {
        var pids = Classes.Select(c => (One: Printed(c, "One")["pid"], Two: Printed(c, "Two")["pid"])).ToArray();
        Assert.All(pids, p => Assert.Equal(p.One, p.Two));
        Assert.Equal(Classes.Length, pids.Select(p => p.One).Distinct().Count());
    }

    [Fact]
    public void EachTestOfAClassHasATempFolderOfItsOwn()
    {
        var temps = Classes.SelectMany(c => new[] { Printed(c, "One")["temp"], Printed(c, "Two")["temp"] }).ToArray();
        Assert.Equal(temps.Length, temps.Distinct().Count());
    }

    [Fact]
    public void AClassOfAnotherPolicyRunsInAChildOfThatPolicy()
    {
        // A child started ahead for the assembly's policy has no virtual clock: the class would see today's year.
        Assert.Equal("2000", Printed("ClockClass", "One")["year"]);
        Assert.Equal("2000", Printed("ClockClass", "Two")["year"]);
        Assert.NotEqual("2000", Printed("FirstClass", "One")["year"]);
    }

    [Fact]
    public void TheRunLeavesNoTempFolderOfAChildOrATest() =>
        // Children started ahead that no class took end with the run, their folders with them.
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.TempFolder, "sandlock-test*"));
}
