using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

public sealed class XunitFixtureRun : FixtureTestRun
{
    protected override string ProjectName => "XunitFixture";
}

/// <summary>tests/fixtures/XunitFixture under dotnet test, with Sandlock.Testing.Xunit from the packed feed.</summary>
[Collection(Collection)]
public sealed class XunitFixtureTests(XunitFixtureRun run) : IClassFixture<XunitFixtureRun>
{
    /// <summary>The two xunit fixture runs take turns: side by side they load the machine past what a test host's
    /// process limit leaves room for.</summary>
    public const string Collection = "xunit fixture runs";

    private const string Tests = "XunitFixture.SandboxedTests.";
    private TrxReport Report => run.Report;

    [Fact]
    public void ReportsExactlyTheExpectedOutcomes()
    {
        Assert.Equal(32, Report.Results.Count);
        // Named, so that an unexpected outcome says which test it was.
        Assert.Equal(
            ["ConnectsWithoutAnAllowRule", "FailsWithMessage", "LoopsForever", "ReadsSecretOutsidePolicy", "SwallowsARefusedRead", "TheoryCase(value: 3)"],
            Report.Results.Where(r => r.Outcome == "Failed").Select(r => r.Name[(r.Name.LastIndexOf('.') + 1)..]).Order());
        Assert.Equal((25, 6, 1), (Report.Count("Passed"), Report.Count("Failed"), Report.Count("NotExecuted")));
        Assert.Equal(1, run.Outcome.ExitCode);
    }

    [Fact]
    public void AtMostOneFreshChildPerCpuWorksAtOnce()
    {
        // Five collections run side by side, each a test that stays 1.5 s in its own child: no more overlap than CPUs.
        var stays = Report.Results.Where(r => r.Name.StartsWith("XunitFixture.SlotTests", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, stays.Count(r => r.Outcome == "Passed"));
        var spans = stays.Select(r => r.StdOut.Trim().Split(' ').Select(t => long.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToList();
        var most = spans.Max(s => spans.Count(o => o[0] <= s[0] && s[0] < o[1]));
        Assert.InRange(most, 1, Environment.ProcessorCount);
    }

    [Fact]
    public void SandboxedReadOfASecretOutsideThePolicyIsDenied()
    {
        var result = Report[Tests + "ReadsSecretOutsidePolicy"];
        Assert.Equal("Failed", result.Outcome);
        Assert.StartsWith("System.UnauthorizedAccessException : Access to the path", result.Message);
        // Before: only the plain .NET exception. Now the failure says what the sandbox denied and what allows it.
        Assert.Contains("Sandlock: the sandbox denied access to /", result.Message);
        Assert.Contains("secret.txt", result.Message);
        Assert.Contains("add \"", result.Message);
        Assert.Contains("to read (or write) under [filesystem] in ", result.Message);
        Assert.Contains("sandlock.toml(", result.Message);
        Assert.Contains("or add Read = [\"", result.Message);
        Assert.Contains("SandboxedTests.cs:line", result.StackTrace);
    }

    [Fact]
    public async Task InLearnModeAFailingTestGetsAPolicyFileOfWhatItNeeded()
    {
        var folder = Directory.CreateTempSubdirectory("sandlock-learned-tests-").FullName;
        try
        {
            var report = await run.RunAgain("FullyQualifiedName~ReadsSecretOutsidePolicy", new Dictionary<string, string> { ["SANDLOCK_LEARN_TESTS"] = folder });

            var result = report[Tests + "ReadsSecretOutsidePolicy"];
            Assert.Equal("Failed", result.Outcome);
            var file = Assert.Single(Directory.GetFiles(folder, "*.toml"));
            Assert.Equal(Tests + "ReadsSecretOutsidePolicy.toml", Path.GetFileName(file));
            Assert.Contains($"Sandlock learn: what the test used, run again without its filesystem rules, is in {file}", result.Message);
            var secretFolder = Path.GetDirectoryName((await FixtureWorkspace.Get()).SecretFile)!;
            Assert.Contains($"\"{secretFolder}\",  # read by ", File.ReadAllText(file));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void APassingTestTheSandboxRefusedAFileFailsAndSaysHowToAllowOrAcceptIt()
    {
        var result = Report[Tests + "SwallowsARefusedRead"];
        // The same file as ReadsSecretOutsidePolicy, maybe in the same shared child: each test is told of it.
        Assert.True("Failed" == result.Outcome, result.StdOut);
        Assert.Contains("no secret: carrying on with a default", result.StdOut);
        Assert.Contains("the test passed, but the sandbox refused it a file", result.Message);
        Assert.Contains("secret.txt (a read: ", result.Message);
        Assert.Contains("or add Read = [\"", result.Message);
        Assert.Contains("AcceptDenied = [\"", result.Message);
    }

    [Fact]
    public void HttpAllowOnTheAttributeRoutesTheTestsRequestsThroughTheProxy()
    {
        var result = Report[Tests + "GetsTheProxysRefusalForARequestNoRuleAllows"];
        Assert.True(result.Outcome == "Passed", result.Message + result.StdOut);
        Assert.Contains("status 403", result.StdOut);
        Assert.Contains("sandlock denied: http", result.StdOut);
    }

    [Fact]
    public void ANamedMutexWorksInTheTestsTempFolder()
    {
        var result = Report[Tests + "TakesANamedMutex"];
        Assert.True(result.Outcome == "Passed", result.Message + result.StdOut);
    }

    [Fact]
    public void ATestThatAcceptsTheRefusalsItChecksPasses()
    {
        Assert.Equal("Passed", Report[Tests + "CannotReadTheSystemsCredentials"].Outcome);
        Assert.Equal("Passed", Report[Tests + "CannotReadWhatDenyCarvesOut"].Outcome);
    }

    /// <summary>Before the fix the targets recorded the project folder instead of the file, and the file was skipped.</summary>
    [Fact]
    public void ThePolicyFileBesideTheProjectIsApplied() => Assert.Equal("Passed", Report[Tests + "ReadsWhatItsPolicyFileGrants"].Outcome);

    [Fact]
    public async Task A_named_policy_file_that_is_missing_fails_the_build()
    {
        var workspace = await FixtureWorkspace.Get();
        var build = await Dotnet.Run(workspace.Project("XunitFixture"), workspace.Environment, Dotnet.Host,
            "build", "-c", "Release", "-nr:false", $"-p:SandlockVersion={workspace.Version}", "-p:SandlockPolicyFile=missing.toml");
        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error SLK0002: SandlockPolicyFile names " + Path.Combine(workspace.Project("XunitFixture"), "missing.toml"), build.ToString());
    }

    [Fact]
    public void TheDefaultsReadTheRepositoryAndNotTheSystemsCredentials()
    {
        Assert.Equal("Passed", Report[Tests + "ReadsTestDataFromTheRepository"].Outcome);
        Assert.Equal("Passed", Report[Tests + "CannotReadTheSystemsCredentials"].Outcome);
    }

    [Fact]
    public void DenyCarvesAPathOutOfWhatThePolicyFileGrants() => Assert.Equal("Passed", Report[Tests + "CannotReadWhatDenyCarvesOut"].Outcome);

    [Fact]
    public void ADeniedConnectionSaysWhatAllowsIt()
    {
        var result = Report[Tests + "ConnectsWithoutAnAllowRule"];
        Assert.Equal("Failed", result.Outcome);
        Assert.Contains("Permission denied", result.Message);
        // A SocketException names no destination, so the port is left for the reader to fill in.
        Assert.Contains("Sandlock: the sandbox denied a TCP connection", result.Message);
        Assert.Contains("add NetAllow = [\":PORT\"] to [Sandboxed]", result.Message);
    }

    [Fact]
    public void UnsandboxedTestRunsInProcessAndReadsTheSecret() => Assert.Equal("Passed", Report[Tests + "Unsandboxed"].Outcome);

    [Fact]
    public void TheTestHostRunsWithTheCallCountThresholdThePackageSetsForTheRun() =>
        Assert.Contains("DOTNET_TC_CallCountThreshold=2000", Report[Tests + "Unsandboxed"].StdOut);

    [Fact]
    public void SandboxedTestPassesAndWritesItsTempDir()
    {
        var result = Report[Tests + "Passes"];
        Assert.Equal("Passed", result.Outcome);
        Assert.Contains("/sandlock-test-", result.StdOut);
    }

    [Fact]
    public void FailingAssertionIsReportedWithMessageAndStack()
    {
        var result = Report[Tests + "FailsWithMessage"];
        Assert.Equal("Failed", result.Outcome);
        Assert.Contains("the sandboxed assertion message", result.Message);
        Assert.Contains("XunitFixture.SandboxedTests.FailsWithMessage()", result.StackTrace);
    }

    [Fact]
    public void TheoryReportsEachCase()
    {
        Assert.Equal("Passed", Report[Tests + "TheoryCase(value: 1)"].Outcome);
        Assert.Equal("Passed", Report[Tests + "TheoryCase(value: 2)"].Outcome);
        var third = Report[Tests + "TheoryCase(value: 3)"];
        Assert.Equal("Failed", third.Outcome);
        Assert.Contains("Actual: 3", third.Message);
    }

    [Fact]
    public void InfiniteLoopHitsTimeoutSeconds()
    {
        var result = Report[Tests + "LoopsForever"];
        Assert.Equal("Failed", result.Outcome);
        Assert.Contains("Sandlock.Testing.SandboxedTestException : the sandboxed test timed out after 2 s", result.Message);
    }

    [Fact]
    public void StaticFieldWritesDoNotLeakToTheNextTest()
    {
        Assert.Equal("Passed", Report["XunitFixture.StaticStateTests.FirstWrite"].Outcome);
        Assert.Equal("Passed", Report["XunitFixture.StaticStateTests.SecondWrite"].Outcome);
    }

    [Fact]
    public void SeededTestPrintsTheNumbersOfItsStableSeed() =>
        Assert.Equal(SeededOutput.For(Tests + "PrintsSeededRandomNumbers"), Report[Tests + "PrintsSeededRandomNumbers"].StdOut.Trim());

    [Fact]
    public void SandboxedTestSeesOnlyItsOwnProcessesInProc() => Assert.Equal("Passed", Report[Tests + "SeesOnlyItsOwnProcesses"].Outcome);

    [Fact]
    public void SkipIsReportedInPlace() => Assert.Equal("NotExecuted", Report[Tests + "Skipped"].Outcome);

    [Fact]
    public void TimeStartGivesTheTestAVirtualClock() => Assert.Equal("Passed", Report[Tests + "AsksForVirtualTime"].Outcome);

    [Fact]
    public void SameSeedAndTimeStartPrintTheSameBytesInSeparateChildrenAndAnotherSeedDiffers() =>
        DeterminismChecks.SameSeedSameBytes(Report, "XunitFixture.DeterminismTests.");

    [Fact]
    public Task TestSeededFromItsNamePrintsTheSameBytesOnAnotherRunOfTheFixture() => DeterminismChecks.NameSeededTestRepeats(run, "XunitFixture.DeterminismTests.");

    [Fact]
    public void MaxProcessesLimitsTheChildrenATestCanStart()
    {
        var result = Report[Tests + "StartsChildrenUntilTheProcessLimit"];
        Assert.True(result.Outcome == "Passed", result.Message);
        Assert.Contains("refused after ", result.StdOut);
    }
}
