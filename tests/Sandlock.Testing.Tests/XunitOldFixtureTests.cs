using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

public sealed class XunitOldFixtureRun : FixtureTestRun
{
    protected override string ProjectName => "XunitOldFixture";
}

/// <summary>
/// The xunit fixture's tests in a suite on xunit 2.4.2 with its runner 2.4.5: the package restores (no NU1107 or
/// NU1608) and sandboxes as it does on 2.9.
/// </summary>
[Collection(XunitFixtureTests.Collection)]
public sealed class XunitOldFixtureTests(XunitOldFixtureRun run) : IClassFixture<XunitOldFixtureRun>
{
    private const string Tests = "XunitFixture.SandboxedTests.";
    private TrxReport Report => run.Report;

    [Fact]
    public void ReportsTheSameOutcomesAsOnTheNewestXunit()
    {
        Assert.DoesNotContain("NU1107", run.Outcome.ToString());
        Assert.DoesNotContain("NU1608", run.Outcome.ToString());
        Assert.Equal(32, Report.Results.Count);
        // Named, so that an unexpected outcome says which test it was.
        Assert.Equal(
            ["ConnectsWithoutAnAllowRule", "FailsWithMessage", "LoopsForever", "ReadsSecretOutsidePolicy", "SwallowsARefusedRead", "TheoryCase(value: 3)"],
            Report.Results.Where(r => r.Outcome == "Failed").Select(r => r.Name[(r.Name.LastIndexOf('.') + 1)..]).Order());
        Assert.Equal((25, 6, 1), (Report.Count("Passed"), Report.Count("Failed"), Report.Count("NotExecuted")));
    }

    [Fact]
    public void MaxProcessesLimitsTheChildrenATestCanStart()
    {
        var result = Report[Tests + "StartsChildrenUntilTheProcessLimit"];
        Assert.True(result.Outcome == "Passed", result.Message);
    }

    [Fact]
    public void TheSandboxStillDeniesAndThePolicyFileStillGrants()
    {
        Assert.Equal("Failed", Report[Tests + "ReadsSecretOutsidePolicy"].Outcome);
        Assert.Equal("Passed", Report[Tests + "ReadsWhatItsPolicyFileGrants"].Outcome);
        Assert.Equal("Passed", Report[Tests + "TheoryCase(value: 2)"].Outcome);
        Assert.Contains("the sandboxed test timed out after 2 s", Report[Tests + "LoopsForever"].Message);
    }
}
