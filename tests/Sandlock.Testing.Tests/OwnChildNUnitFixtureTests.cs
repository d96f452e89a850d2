namespace Sandlock.Testing.Tests;

public sealed class OwnChildNUnitRun : Support.FixtureTestRun
{
    protected override string ProjectName => "OwnChildNUnit";
}

/// <summary>tests/fixtures/OwnChildNUnit: NUnit runs the tests one after the other, fixture by fixture.</summary>
public sealed class OwnChildNUnitFixtureTests(OwnChildNUnitRun run) : OwnChildFixtureChecks(run, "",
    ["Sleeps", "ClockStartsAtTheTest", "Third", "AfterTheHang"], "Hangs", "FullyQualifiedName~SequenceFixture.Third"), IClassFixture<OwnChildNUnitRun>
{
    protected override string[] Reporting => ["Sleeps", "ClockStartsAtTheTest", "Third", "AfterTheHang", "Last"];

    /// <summary>The children started for them are ended as the next fixture's test takes its own (the run leaves none).</summary>
    [Fact]
    public void TheTestsOfAFixtureWhoseSetUpFailsHereFailWithItsMessage() =>
        Assert.All(["NeverRunsFirst", "NeverRunsSecond"], t =>
        {
            Assert.Equal("Failed", run.Report[t].Outcome);
            Assert.Contains("one-time setup refused in the parent", run.Report[t].Message);
        });
}
