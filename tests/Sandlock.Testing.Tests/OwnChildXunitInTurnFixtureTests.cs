using System.Globalization;
using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

public sealed class OwnChildXunitInTurnRun : FixtureTestRun
{
    protected override string ProjectName => "OwnChildXunitInTurn";
}

/// <summary>
/// tests/fixtures/OwnChildXunitInTurn: <c>Isolation = Test</c> with xunit's parallelization off, four classes in three
/// collections, each test sleeping 1 s: the run's whole order is known as it starts, so every test's child, a class's
/// first one too, is up before the test before it ends.
/// </summary>
public sealed class OwnChildXunitInTurnFixtureTests(OwnChildXunitInTurnRun run) : IClassFixture<OwnChildXunitInTurnRun>
{
    private static readonly string[] Tests =
    [
        "FirstClass.First_One", "FirstClass.First_Two", "SecondClass.Second_One", "SecondClass.Second_Two",
        "ThirdClass.Third_One", "FourthClass.Fourth_One",
    ];

    private Dictionary<string, string> Printed(string test) =>
        run.Report["OwnChildXunitInTurn." + test].StdOut.Trim().Split('\n').Select(l => l.Split(' ', 2)).ToDictionary(p => p[0], p => p[1]);

    private static double Seconds(string value) => double.Parse(value, CultureInfo.InvariantCulture);

    [Fact]
    public void EveryTestPassesInAProcessOfItsOwnAndCarriesThePolicyFile()
    {
        Assert.All(Tests, t => Assert.Equal("Passed", run.Report["OwnChildXunitInTurn." + t].Outcome));
        Assert.Equal(Tests.Length, Tests.Select(t => Printed(t)["pid"]).Distinct().Count());
        Assert.All(Tests, t => Assert.Equal("written", Printed(t)["own-out"]));
    }

    [Fact]
    public void EveryTestsChildIsUpBeforeTheTestBeforeItEndsAcrossClassesAndCollections()
    {
        // In the order they ran (one at a time: each ended a second after the one before).
        var inRunOrder = Tests.OrderBy(t => Seconds(Printed(t)["ended"])).ToArray();
        for (var i = 1; i < inRunOrder.Length; i++)
        {
            var (before, test) = (inRunOrder[i - 1], inRunOrder[i]);
            Assert.True(Seconds(Printed(test)["started"]) < Seconds(Printed(before)["ended"]),
                $"{test}'s process started at {Printed(test)["started"]}, after {before} ended at {Printed(before)["ended"]}");
        }
    }

    [Fact]
    public void TheRunLeavesNoTempFolderOfAChildOrATest() =>
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.TempFolder, "sandlock-test*"));
}
