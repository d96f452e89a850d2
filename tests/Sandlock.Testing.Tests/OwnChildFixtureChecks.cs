using System.Globalization;
using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

/// <summary>
/// What OwnChildNUnit and OwnChildXunit ([assembly: Sandboxed(Isolation = Test)], tests run one after the other) must
/// both show: each test's child is started while the test before it runs, and the test still gets a process, clock,
/// temp folder and seed of its own, as it starts.
/// </summary>
/// <param name="prefix">What the framework puts before a test's name in the TRX.</param>
/// <param name="sequence">The fixture's tests that print, in their order: one that sleeps, one with a virtual clock, a third, the one after a hang.</param>
/// <param name="hangs">The test that hangs past its timeout.</param>
/// <param name="thirdFilter">The filter that runs the third test alone.</param>
public abstract class OwnChildFixtureChecks(FixtureTestRun run, string prefix, string[] sequence, string hangs, string thirdFilter)
{
    private string Sleeps => sequence[0];
    private string Clock => sequence[1];
    private string Third => sequence[2];

    /// <summary>Every test that prints and passes (the sequence, and whatever else the fixture has).</summary>
    protected virtual string[] Reporting => sequence;

    private Dictionary<string, string> Printed(TrxReport report, string test) =>
        report[prefix + test].StdOut.Trim().Split('\n').Select(l => l.Split(' ', 2)).ToDictionary(p => p[0], p => p[1]);

    private Dictionary<string, string> Printed(string test) => Printed(run.Report, test);

    [Fact]
    public void EveryTestThatPrintsPassesAndTheHangTimesOut()
    {
        Assert.All(Reporting, t => Assert.Equal("Passed", run.Report[prefix + t].Outcome));
        Assert.Equal("Failed", run.Report[prefix + hangs].Outcome);
        Assert.Contains("timed out", run.Report[prefix + hangs].Message);
    }

    [Fact]
    public void ATestsChildIsStartedWhileTheTestBeforeItRuns()
    {
        double Seconds(string value) => double.Parse(value, CultureInfo.InvariantCulture);
        // The test before slept 1.5 s; the next test's process was up before it ended.
        Assert.True(Seconds(Printed(Clock)["started"]) < Seconds(Printed(Sleeps)["ended"]),
            $"started {Printed(Clock)["started"]}, the test before ended {Printed(Sleeps)["ended"]}");
    }

    [Fact]
    public void AChildStartedAheadStartsItsTestsClockAtTheTest() =>
        Assert.True(double.Parse(Printed(Clock)["clock"], CultureInfo.InvariantCulture) < 1);

    [Fact]
    public void EachTestHasAProcessATempFolderAndDrawsOfItsOwnAndCarriesThePolicyFile()
    {
        Assert.All(Reporting, t => Assert.Equal("1", Printed(t)["tests"]));
        Assert.All(["pid", "temp", "guid", "hash"], printed => Assert.Equal(Reporting.Length, Reporting.Select(t => Printed(t)[printed]).Distinct().Count()));
        Assert.All(Reporting, t => Assert.Equal("written", Printed(t)["own-out"]));
    }

    [Fact]
    public async Task ATestDrawsTheSameGuidsHashCodesAndRandomNumbersWhetherItsChildWasStartedAheadOrNot()
    {
        // Alone in the run, its child is the first one started; in the whole run it was started while the test before it ran.
        var again = await run.RunAgain(thirdFilter);
        Assert.Equal([prefix + Third], again.Results.Select(r => r.Name));
        Assert.All(["guid", "hash", "random"], drawn => Assert.Equal(Printed(Third)[drawn], Printed(again, Third)[drawn]));
    }

    [Fact]
    public void TheRunLeavesNoTempFolderOfAChild() =>
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.TempFolder, "sandlock-test*"));
}
