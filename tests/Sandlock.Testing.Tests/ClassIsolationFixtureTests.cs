using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

public sealed class ClassIsolationFixtureRun : FixtureTestRun
{
    protected override string ProjectName => "ClassIsolationFixture";
}

public sealed class ClassIsolationNUnitRun : FixtureTestRun
{
    protected override string ProjectName => "ClassIsolationNUnit";
}

/// <summary>
/// A fixture of [assembly: Sandboxed(Isolation = Class)] with three classes of the assembly's policy and one of another
/// (a virtual clock), two tests each: the first classes run in children started before the test host asked for a test.
/// </summary>
public abstract class ClassIsolationFixtureTests(FixtureTestRun run)
{
    private static readonly string[] Classes = ["First", "Second", "Third", "Clock"];

    private TrxReport Report => run.Report;

    /// <summary>What the test printed, by the name its framework gives the result.</summary>
    protected abstract string ResultName(string @class, string test);

    protected Dictionary<string, string> Printed(string @class, string test) =>
        Report[ResultName(@class, test)].StdOut.Trim().Split('\n').Select(l => l.Split(' ', 2)).ToDictionary(p => p[0], p => p[1]);

    /// <summary>How many tests the fixture project has.</summary>
    protected virtual int Tests => 8;

    [Fact]
    public void EveryTestPasses() => Assert.Equal(Tests, Report.Count("Passed"));

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
        Assert.Equal("2000", Printed("Clock", "One")["year"]);
        Assert.Equal("2000", Printed("Clock", "Two")["year"]);
        Assert.NotEqual("2000", Printed("First", "One")["year"]);
    }

    [Fact]
    public void EveryClassesChildCarriesTheProjectsPolicyFile()
    {
        // Only sandlock.toml grants the write; the first classes' children were started before any test was known.
        Assert.All(Classes, c => Assert.Equal("written", Printed(c, "One")["policy-out"]));
        Assert.All(Classes, c => Assert.Equal("written", Printed(c, "Two")["policy-out"]));
    }

    [Fact]
    public async Task AChildStartedAheadThatNoClassTakesEndsQuietly()
    {
        // One class: the children started ahead for the first classes are two, and the test host ends the one left over.
        var again = await run.RunAgain("FullyQualifiedName~.First");
        Assert.Equal(2, again.Count("Passed"));
        Assert.DoesNotContain("Unhandled exception", again.RunOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRunLeavesNoTempFolderOfAChildOrATest() =>
        // Children started ahead that no class took end with the run, their folders with them.
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.TempFolder, "sandlock-test*"));
}

/// <summary>tests/fixtures/ClassIsolationFixture (xunit): the classes run side by side, as xunit runs collections by default.</summary>
[Collection(XunitFixtureTests.Collection)]
public sealed class ClassIsolationXunitFixtureTests(ClassIsolationFixtureRun run) : ClassIsolationFixtureTests(run), IClassFixture<ClassIsolationFixtureRun>
{
    protected override string ResultName(string @class, string test) => $"ClassIsolationFixture.{@class}Class.{test}";
}

/// <summary>tests/fixtures/ClassIsolationNUnit: NUnit runs the fixtures one after the other; its results are named by the method alone.</summary>
public sealed class ClassIsolationNUnitFixtureTests(ClassIsolationNUnitRun run) : ClassIsolationFixtureTests(run), IClassFixture<ClassIsolationNUnitRun>
{
    // And a fixture with a case source, and a generic one.
    protected override int Tests => 10;

    protected override string ResultName(string @class, string test) => @class + test;

    [Fact]
    public void AClassesChildBuildsItsOwnFixtureOnly()
    {
        // NUnit built the whole assembly in each child: the other fixture's case source ran there too.
        Assert.All(["First", "Second", "Third", "Clock"], c => Assert.Equal("False", Printed(c, "One")["other-fixture-built"]));
        Assert.Equal("False", Printed("Generic", "One")["other-fixture-built"]);
    }

    [Fact]
    public void AClassesChildRunsTheSetUpFixtureOfItsNamespace() =>
        Assert.All(["First", "Second", "Third", "Clock", "Generic"], c => Assert.Equal("True", Printed(c, "One")["namespace-set-up"]));
}
