using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

public sealed class NUnitFixtureRun : FixtureTestRun
{
    protected override string ProjectName => "NUnitFixture";
}

/// <summary>tests/fixtures/NUnitFixture (NUnit 5) under dotnet test, with Sandlock.Testing.NUnit from the packed feed.</summary>
public sealed class NUnitFixtureTests(NUnitFixtureRun run) : IClassFixture<NUnitFixtureRun>
{
    private TrxReport Report => run.Report;

    [Fact]
    public async Task NUnitsFrameworkItsAdapterTheTestPlatformAndTheChildHostInTheOutputAreReadyToRunImages()
    {
        _ = run.Report;
        var output = Path.Combine((await FixtureWorkspace.Get()).Project("NUnitFixture"), "bin", "Release", "net10.0");
        foreach (var name in new[] { "nunit.framework", "NUnit3.TestAdapter", "nunit.engine", "testhost", "Microsoft.TestPlatform.CrossPlatEngine", "Newtonsoft.Json", "Tomlyn", "Sandlock.Testing.Host" })
            Assert.True(ReadyToRunImage.Is(Path.Combine(output, name + ".dll")), $"{name}.dll in {output} is IL only");
        foreach (var name in new[] { "nunit.framework", "Sandlock.Testing.NUnit" })
            Assert.True(ReadyToRunImage.HoldsFrameworkGenericCode(Path.Combine(output, name + ".dll")), $"{name}.dll in {output} leaves the framework's generics over its types to the JIT");
    }

    [Fact]
    public async Task TheProjectsOwnTieredPgoSettingIsKept()
    {
        _ = run.Report;
        var output = Path.Combine((await FixtureWorkspace.Get()).Project("NUnitFixture"), "bin", "Release", "net10.0");
        Assert.True(RuntimeConfig.TieredPgo(Path.Combine(output, "NUnitFixture.runtimeconfig.json")));
    }

    [Fact]
    public void TheRunLeavesNoTempFolderOfAChildOrATest()
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.TempFolder, "sandlock-test*"));
    }

    [Fact]
    public void ReportsExactlyTheExpectedOutcomes()
    {
        Assert.Equal(21, Report.Results.Count);
        Assert.Equal((15, 5, 1), (Report.Count("Passed"), Report.Count("Failed"), Report.Count("NotExecuted")));
    }

    [Fact]
    public void SandboxedReadOfASecretOutsideThePolicyIsDenied()
    {
        var result = Report["ReadsSecretOutsidePolicy"];
        Assert.Equal("Failed", result.Outcome);
        Assert.StartsWith("System.UnauthorizedAccessException : Access to the path", result.Message);
        // Teardown ran too, in the same child as the setup and the test.
        Assert.Contains("teardown ran in the test's process: True", result.StdOut);
    }

    [Fact]
    public void APassingTestTheSandboxRefusedAFileFailsUnlessItAcceptsTheRefusal()
    {
        var swallowed = Report["SwallowsARefusedRead"];
        Assert.True(swallowed.Outcome == "Failed", swallowed.StdOut);
        Assert.Contains("the test passed, but the sandbox refused it a file", swallowed.Message);
        Assert.Contains("AcceptDenied = [\"", swallowed.Message);
        var accepted = Report["AcceptsTheRefusalItChecks"];
        Assert.True(accepted.Outcome == "Passed", accepted.Message + accepted.StdOut);
    }

    [Fact]
    public void TestCasesWhoseArgumentsXmlCannotCarryRun()
    {
        var cases = Report.Results.Where(r => r.Name.Contains("TakesACharacterXmlCannotCarry", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, cases.Count);
        Assert.All(cases, r => Assert.True(r.Outcome == "Passed", r.Name + ": " + r.Message));
    }

    [Fact]
    public void UnsandboxedTestRunsInProcessAndReadsTheSecret() => Assert.Equal("Passed", Report["Unsandboxed"].Outcome);

    [Fact]
    public void SandboxedTestPassesWithItsSetUpInTheSameChild() => Assert.Equal("Passed", Report["Passes"].Outcome);

    [Fact]
    public void FailingAssertionIsReportedWithMessageAndStack()
    {
        var result = Report["FailsWithMessage"];
        Assert.Equal("Failed", result.Outcome);
        Assert.Contains("the sandboxed assertion message", result.Message);
        Assert.Contains("But was:  2", result.Message);
        Assert.Contains("SandboxedTests.cs:line", result.StackTrace);
    }

    [Fact]
    public void TestCasesAreReportedEach()
    {
        Assert.Equal("Passed", Report["TheoryCase(1)"].Outcome);
        Assert.Equal("Passed", Report["TheoryCase(2)"].Outcome);
        Assert.Equal("Failed", Report["TheoryCase(3)"].Outcome);
    }

    [Fact]
    public void InfiniteLoopHitsTimeoutSeconds() =>
        Assert.Contains("Sandlock.Testing.SandboxedTestException : the sandboxed test timed out after 2 s", Report["LoopsForever"].Message);

    [Fact]
    public void StaticFieldWritesDoNotLeakToTheNextTest()
    {
        Assert.Equal("Passed", Report["FirstWrite"].Outcome);
        Assert.Equal("Passed", Report["SecondWrite"].Outcome);
    }

    [Fact]
    public void SeededTestPrintsTheNumbersOfItsStableSeed() =>
        Assert.StartsWith(SeededOutput.For("NUnitFixture.SandboxedTests.PrintsSeededRandomNumbers"), Report["PrintsSeededRandomNumbers"].StdOut.Trim());

    [Fact]
    public void TimeStartGivesTheTestAVirtualClock() => Assert.Equal("Passed", Report["AsksForVirtualTime"].Outcome);

    [Fact]
    public void SameSeedAndTimeStartPrintTheSameBytesInSeparateChildrenAndAnotherSeedDiffers() =>
        DeterminismChecks.SameSeedSameBytes(Report, "");

    [Fact]
    public Task TestSeededFromItsNamePrintsTheSameBytesOnAnotherRunOfTheFixture() => DeterminismChecks.NameSeededTestRepeats(run, "");
}
