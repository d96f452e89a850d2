using System.Globalization;
using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

public sealed class OwnChildXunitRun : FixtureTestRun
{
    protected override string ProjectName => "OwnChildXunit";
}

/// <summary>
/// tests/fixtures/OwnChildXunit, [assembly: Sandboxed(Isolation = Test)] with xunit: a class's tests run one after the
/// other, and each test's child is started while the tests before it run; the test still gets a process, clock, temp
/// folder and seed of its own, as it starts.
/// </summary>
public sealed class OwnChildXunitFixtureTests(OwnChildXunitRun run) : IClassFixture<OwnChildXunitRun>
{
    private const string Class = "OwnChildXunit.SequenceTests.";
    private static readonly string[] Reporting = ["A_Sleeps", "B_ClockStartsAtTheTest", "C_Third", "E_AfterTheHang"];

    private static Dictionary<string, string> Printed(TrxReport report, string test) =>
        report[Class + test].StdOut.Trim().Split('\n').Select(l => l.Split(' ', 2)).ToDictionary(p => p[0], p => p[1]);

    private Dictionary<string, string> Printed(string test) => Printed(run.Report, test);

    [Fact]
    public void EveryTestPassesButTheHang()
    {
        Assert.All(Reporting, t => Assert.Equal("Passed", run.Report[Class + t].Outcome));
        Assert.Equal("Failed", run.Report[Class + "D_Hangs"].Outcome);
        Assert.Contains("timed out", run.Report[Class + "D_Hangs"].Message);
    }

    [Fact]
    public void ATestsChildIsStartedWhileTheTestBeforeItRuns()
    {
        double Seconds(string value) => double.Parse(value, CultureInfo.InvariantCulture);
        Assert.True(Seconds(Printed("B_ClockStartsAtTheTest")["started"]) < Seconds(Printed("A_Sleeps")["ended"]),
            $"started {Printed("B_ClockStartsAtTheTest")["started"]}, the test before ended {Printed("A_Sleeps")["ended"]}");
    }

    [Fact]
    public void AChildStartedAheadStartsItsTestsClockAtTheTest() =>
        Assert.True(double.Parse(Printed("B_ClockStartsAtTheTest")["clock"], CultureInfo.InvariantCulture) < 1);

    [Fact]
    public void EachTestHasAProcessATempFolderAndGuidsOfItsOwn()
    {
        Assert.All(Reporting, t => Assert.Equal("1", Printed(t)["tests"]));
        Assert.Equal(Reporting.Length, Reporting.Select(t => Printed(t)["pid"]).Distinct().Count());
        Assert.Equal(Reporting.Length, Reporting.Select(t => Printed(t)["temp"]).Distinct().Count());
        Assert.Equal(Reporting.Length, Reporting.Select(t => Printed(t)["guid"]).Distinct().Count());
        Assert.Equal(Reporting.Length, Reporting.Select(t => Printed(t)["hash"]).Distinct().Count());
        Assert.All(Reporting, t => Assert.Equal("written", Printed(t)["own-out"]));
    }

    [Fact]
    public async Task ATestDrawsTheSameGuidsHashCodesAndRandomNumbersWhetherItsChildWasStartedAheadOrNot()
    {
        var again = await run.RunAgain("FullyQualifiedName~SequenceTests.C_Third");
        Assert.Equal([Class + "C_Third"], again.Results.Select(r => r.Name));
        Assert.All(["guid", "hash", "random"], drawn => Assert.Equal(Printed("C_Third")[drawn], Printed(again, "C_Third")[drawn]));
    }

    [Fact]
    public void TheRunLeavesNoTempFolderOfAChild() =>
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.TempFolder, "sandlock-test*"));
}
