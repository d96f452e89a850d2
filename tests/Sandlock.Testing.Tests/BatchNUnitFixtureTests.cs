using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

public sealed class BatchNUnitRun : FixtureTestRun
{
    protected override string ProjectName => "BatchNUnit";
}

/// <summary>
/// tests/fixtures/BatchNUnit, [assembly: Sandboxed(Isolation = Assembly)] with NUnit: each fixture's tests go to the
/// shared child as one batch and run there as one NUnit run, in the parent's order; a filtered run sends only what it
/// selects; a test that hangs times out and the rest of its fixture runs in a new child.
/// </summary>
public sealed class BatchNUnitFixtureTests(BatchNUnitRun run) : IClassFixture<BatchNUnitRun>
{
    private static Dictionary<string, string> Printed(TrxReport report, string test) =>
        report[test].StdOut.Trim().Split('\n').Select(l => l.Split(' ', 2)).ToDictionary(p => p[0], p => p[1]);

    private Dictionary<string, string> Printed(string test) => Printed(run.Report, test);

    [Fact]
    public void EveryTestButTheHangPasses()
    {
        Assert.Equal(10, run.Report.Count("Passed"));
        Assert.Equal("Failed", run.Report["Hangs"].Outcome);
        Assert.Contains("timed out", run.Report["Hangs"].Message);
    }

    [Fact]
    public void AFixtureIsSetUpOnceInTheChildAndItsTestsRunThereInTheParentsOrder()
    {
        // Each test as a run of its own set the fixture up again: 1, 2, 3.
        Assert.All(["Alpha", "Beta", "Gamma"], t => Assert.Equal("1", Printed(t)["setups"]));
        Assert.Equal("1", Printed("Beta")["run"]);
        Assert.Equal("2", Printed("Gamma")["run"]);
        Assert.Equal("3", Printed("Alpha")["run"]);
    }

    [Fact]
    public void EveryBatchsChildCarriesTheProjectsPolicyFile() =>
        Assert.All(["Alpha", "Beta", "Gamma", "InTheChild", "Cases(1)", "Cases(2)", "BeforeTheHang", "AfterTheHang"],
            t => Assert.Equal("written", Printed(t)["batch-out"]));

    [Fact]
    public void EachTestOfABatchHasItsOwnTempFolderAndGuids()
    {
        string[] tests = ["Alpha", "Beta", "Gamma", "InTheChild", "Cases(1)", "Cases(2)", "BeforeTheHang", "AfterTheHang"];
        Assert.Equal(tests.Length, tests.Select(t => Printed(t)["temp"]).Distinct().Count());
        Assert.Equal(tests.Length, tests.Select(t => Printed(t)["guid"]).Distinct().Count());
    }

    [Fact]
    public void TheTestsAfterAHangRunInANewChildAndTheFixturesAfterItThereToo()
    {
        // NUnit runs the fixtures by name: CasesFixture, HangingFixture, OrderedFixture.
        Assert.Single(new[] { "InTheChild", "Cases(1)", "Cases(2)", "BeforeTheHang" }.Select(t => Printed(t)["pid"]).Distinct());
        Assert.Single(new[] { "AfterTheHang", "Alpha", "Beta", "Gamma" }.Select(t => Printed(t)["pid"]).Distinct());
        Assert.NotEqual(Printed("BeforeTheHang")["pid"], Printed("AfterTheHang")["pid"]);
        Assert.Equal("NotExecuted", run.Report["Ignored"].Outcome);
    }

    [Fact]
    public void AOneTimeSetUpThatFailsInTheChildFailsEachTestWithItsMessage() =>
        Assert.All(["FirstAfterTheSetUp", "SecondAfterTheSetUp"], t =>
        {
            Assert.Equal("Failed", run.Report[t].Outcome);
            Assert.Contains("one-time setup refused in the child", run.Report[t].Message);
        });

    [Fact]
    public void ARepeatedTestRunsInItsJobAgain()
    {
        Assert.Equal("Passed", run.Report["RunsThreeTimes"].Outcome);
        Assert.Contains("runs 3", run.Report["RunsThreeTimes"].StdOut);
    }

    [Fact]
    public async Task AFilteredRunSendsTheChildOnlyWhatItSelectsAndEachTestDrawsTheSameGuids()
    {
        var again = await run.RunAgain("FullyQualifiedName~OrderedFixture.Gamma");
        Assert.Equal(["Gamma"], again.Results.Select(r => r.Name));
        // Beta, before it in the fixture, did not run in the child: Gamma is the first test run there.
        Assert.Equal("1", Printed(again, "Gamma")["run"]);
        Assert.Equal(Printed("Gamma")["guid"], Printed(again, "Gamma")["guid"]);
    }

    [Fact]
    public void TheRunLeavesNoTempFolderOfAChildOrATest() =>
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.TempFolder, "sandlock-test*"));
}
