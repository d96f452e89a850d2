using System.Globalization;
using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

public sealed class OwnChildNUnitRun : FixtureTestRun
{
    protected override string ProjectName => "OwnChildNUnit";
}

/// <summary>
/// tests/fixtures/OwnChildNUnit, [assembly: Sandboxed(Isolation = Test)] with NUnit: NUnit runs the tests one after
/// the other, and each test's child is started while the tests before it run; the test still gets a process, clock,
/// temp folder and seed of its own, as it starts.
/// </summary>
public sealed class OwnChildNUnitFixtureTests(OwnChildNUnitRun run) : IClassFixture<OwnChildNUnitRun>
{
    private static Dictionary<string, string> Printed(TrxReport report, string test) =>
        report[test].StdOut.Trim().Split('\n').Select(l => l.Split(' ', 2)).ToDictionary(p => p[0], p => p[1]);

    private Dictionary<string, string> Printed(string test) => Printed(run.Report, test);

    private static readonly string[] Reporting = ["Sleeps", "ClockStartsAtTheTest", "Third", "AfterTheHang", "Last"];

    [Fact]
    public void EveryTestPassesButTheHangAndThoseOfTheFixtureThatFailsToSetUp()
    {
        Assert.All(Reporting, t => Assert.Equal("Passed", run.Report[t].Outcome));
        Assert.Equal("Failed", run.Report["Hangs"].Outcome);
        Assert.Contains("timed out", run.Report["Hangs"].Message);
        Assert.All(["NeverRunsFirst", "NeverRunsSecond"], t =>
        {
            Assert.Equal("Failed", run.Report[t].Outcome);
            Assert.Contains("one-time setup refused in the parent", run.Report[t].Message);
        });
    }

    [Fact]
    public void ATestsChildIsStartedWhileTheTestBeforeItRuns()
    {
        double Seconds(string value) => double.Parse(value, CultureInfo.InvariantCulture);
        // Sleeps slept 1.5 s; the next test's process was up before it ended.
        Assert.True(Seconds(Printed("ClockStartsAtTheTest")["started"]) < Seconds(Printed("Sleeps")["ended"]),
            $"started {Printed("ClockStartsAtTheTest")["started"]}, the test before ended {Printed("Sleeps")["ended"]}");
    }

    [Fact]
    public void AChildStartedAheadStartsItsTestsClockAtTheTest() =>
        Assert.True(double.Parse(Printed("ClockStartsAtTheTest")["clock"], CultureInfo.InvariantCulture) < 1);

    [Fact]
    public void EachTestHasAProcessATempFolderAndGuidsOfItsOwn()
    {
        Assert.All(Reporting, t => Assert.Equal("1", Printed(t)["tests"]));
        Assert.Equal(Reporting.Length, Reporting.Select(t => Printed(t)["pid"]).Distinct().Count());
        Assert.Equal(Reporting.Length, Reporting.Select(t => Printed(t)["temp"]).Distinct().Count());
        Assert.Equal(Reporting.Length, Reporting.Select(t => Printed(t)["guid"]).Distinct().Count());
        Assert.Equal(Reporting.Length, Reporting.Select(t => Printed(t)["hash"]).Distinct().Count());
    }

    [Fact]
    public void EveryChildCarriesTheProjectsPolicyFile() =>
        Assert.All(Reporting, t => Assert.Equal("written", Printed(t)["own-out"]));

    [Fact]
    public async Task ATestDrawsTheSameGuidsHashCodesAndRandomNumbersWhetherItsChildWasStartedAheadOrNot()
    {
        // Alone in the run, Third's child is the first one started; in the whole run it was started while the test before it ran.
        var again = await run.RunAgain("FullyQualifiedName~SequenceFixture.Third");
        Assert.Equal(["Third"], again.Results.Select(r => r.Name));
        Assert.All(["guid", "hash", "random"], drawn => Assert.Equal(Printed("Third")[drawn], Printed(again, "Third")[drawn]));
    }

    [Fact]
    public void TheRunLeavesNoTempFolderOfAChild() =>
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.TempFolder, "sandlock-test*"));
}
