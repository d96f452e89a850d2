using System.Globalization;
using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

public sealed class IsolationFixtureRun : FixtureTestRun
{
    protected override string ProjectName => "IsolationFixture";
}

/// <summary>tests/fixtures/IsolationFixture: [assembly: Sandboxed(Isolation = Assembly)], one shared child per policy.</summary>
[Collection(XunitFixtureTests.Collection)]
public sealed class IsolationFixtureTests(IsolationFixtureRun run) : IClassFixture<IsolationFixtureRun>
{
    private TrxReport Report => run.Report;

    private static string Pid(TrxReport.Result result) => result.StdOut.Split('\n')[0].Split(' ')[1];

    [Fact]
    public void OnlyTheHangingTestFails()
    {
        Assert.Equal(["Hangs"], Report.Results.Where(r => r.Outcome != "Passed").Select(r => r.Name[(r.Name.LastIndexOf('.') + 1)..]));
        Assert.Equal(13, Report.Count("Passed"));
    }

    [Fact]
    public async Task TheTestFrameworksAndTheTestPlatformsAssembliesInTheOutputAreReadyToRunImagesAndTheTestsPassWithThem()
    {
        var output = Path.Combine((await FixtureWorkspace.Get()).Project("IsolationFixture"), "bin", "Release", "net10.0");
        // The test host's own too: the test platform and xunit's adapter, which it runs before it starts a child.
        foreach (var name in new[] { "xunit.execution.dotnet", "xunit.core", "xunit.abstractions", "xunit.assert", "Tomlyn", "Sandlock.Testing.Host",
                     "testhost", "Microsoft.TestPlatform.CrossPlatEngine", "Microsoft.VisualStudio.TestPlatform.ObjectModel", "Newtonsoft.Json", "xunit.runner.visualstudio.testadapter" })
            Assert.True(ReadyToRunImage.Is(Path.Combine(output, name + ".dll")), $"{name}.dll in {output} is IL only");
        // With the framework's generic code over their types: xunit's runners are async all the way down, and each child
        // JIT-compiled their builders anew.
        foreach (var name in new[] { "xunit.execution.dotnet", "Sandlock.Testing", "Sandlock.Testing.Xunit", "Sandlock.Testing.Host", "Sandlock.Core" })
            Assert.True(ReadyToRunImage.HoldsFrameworkGenericCode(Path.Combine(output, name + ".dll")), $"{name}.dll in {output} leaves the framework's generics over its types to the JIT");
        // The test's own assembly is the user's to compile as they like.
        Assert.False(ReadyToRunImage.Is(Path.Combine(output, "IsolationFixture.dll")));
        Assert.Equal(13, Report.Count("Passed"));
    }

    [Fact]
    public async Task TheTestHostAndItsChildrenRunWithoutTieredPgoWhenTheProjectSaysNothing()
    {
        var output = Path.Combine((await FixtureWorkspace.Get()).Project("IsolationFixture"), "bin", "Release", "net10.0");
        Assert.False(RuntimeConfig.TieredPgo(Path.Combine(output, "IsolationFixture.runtimeconfig.json")));
        Assert.Equal(13, Report.Count("Passed"));
    }

    [Fact]
    public void TheAssemblysChildStartedBeforeAnyTestCarriesTheProjectsPolicyFile() =>
        Assert.Equal("Passed", Report["IsolationFixture.PolicyFileTests.WritesWhereItsPolicyFileGrants"].Outcome);

    [Fact]
    public void TheRunLeavesNoTempFolderOfAChildOrATest()
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.TempFolder, "sandlock-test*"));
    }

    [Fact]
    public async Task ListingTheTestsLeavesNoChildAndNoFolderBehind()
    {
        // The assembly's child starts as the executor is made, before xunit has discovered the tests it will run.
        var workspace = await FixtureWorkspace.Get();
        var temp = Directory.CreateTempSubdirectory("sandlock-fixture-list-").FullName;
        try
        {
            var listed = await Dotnet.Run(workspace.Project("IsolationFixture"), new Dictionary<string, string>(workspace.Environment) { ["TMPDIR"] = temp },
                Dotnet.Host, ["test", "--no-build", "-c", "Release", "-nr:false", $"-p:SandlockVersion={workspace.Version}", "--list-tests"]);
            Assert.True(listed.ExitCode == 0 && listed.Output.Contains("FirstLeavesAFile", StringComparison.Ordinal), listed.ToString());
            Assert.Empty(Directory.EnumerateFileSystemEntries(temp, "sandlock-*"));
            Assert.Empty(ProcessesMentioning(temp));
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static IEnumerable<string> ProcessesMentioning(string text) =>
        Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)).Select(d =>
        {
            try { return File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' '); }
            catch (IOException) { return ""; }
        }).Where(c => c.Contains(text, StringComparison.Ordinal)).ToList();

    [Fact]
    public void ATestCannotReadTheTempFolderOfAnEarlierTestOfItsChild()
    {
        var first = Report["IsolationFixture.TempFolderTests.FirstLeavesAFile"];
        var second = Report["IsolationFixture.TempFolderTests.SecondLeavesAFile"];
        Assert.Equal(("Passed", "Passed"), (first.Outcome, second.Outcome));
        Assert.Equal(Pid(first), Pid(second));
        Assert.Single(new[] { first, second }, r => r.StdOut.Contains("could not read ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EachTestsGuidsRepeatOnEveryRunAndDifferBetweenTests()
    {
        var a = Report["IsolationFixture.GuidTests.PrintsGuidsA"];
        var b = Report["IsolationFixture.GuidTests.PrintsGuidsB"];
        Assert.Equal(Pid(a), Pid(b));
        string Guids(TrxReport.Result r) => string.Join('\n', r.StdOut.Trim().Split('\n').Skip(1));
        Assert.NotEqual(Guids(a), Guids(b));
        // Again, with the two in the other order behind other tests: each prints its own Guids again.
        var again = await run.RunAgain("FullyQualifiedName~GuidTests.PrintsGuidsB|FullyQualifiedName~TempFolderTests");
        Assert.Equal(Guids(b), Guids(again["IsolationFixture.GuidTests.PrintsGuidsB"]));
    }

    [Fact]
    public async Task AClassesFixtureIsMadeOnceForItsTestsWhichRunInItsOrdererOrderEachWithItsOwnSeed()
    {
        var tests = new[] { "Gamma", "Beta", "Alpha" }.Select(name => Report["IsolationFixture.ClassFixtureTests." + name]).ToArray();
        Dictionary<string, string> Lines(TrxReport.Result r) => r.StdOut.Trim().Split('\n').Select(l => l.Split(' ', 2)).ToDictionary(p => p[0], p => p[1]);
        var printed = tests.Select(Lines).ToArray();
        Assert.All(tests, t => Assert.Equal("Passed", t.Outcome));
        Assert.Single(printed.Select(p => p["pid"]).Distinct());
        Assert.Single(printed.Select(p => p["fixture"]).Distinct());
        // Names backwards, as the class's orderer puts them.
        Assert.Equal(printed[0]["ran"], (int.Parse(printed[2]["ran"], CultureInfo.InvariantCulture) - 2).ToString(CultureInfo.InvariantCulture));
        Assert.Equal(printed[1]["ran"], (int.Parse(printed[2]["ran"], CultureInfo.InvariantCulture) - 1).ToString(CultureInfo.InvariantCulture));
        Assert.Equal([.. tests.Select(t => Policy.TestSeed.For(t.Name).ToString(CultureInfo.InvariantCulture))], printed.Select(p => p["seed"]));
        // Alpha ran last behind the other two; alone it draws the same Guid: its start took its own job, not another's.
        var alone = await run.RunAgain("FullyQualifiedName~ClassFixtureTests.Alpha");
        Assert.Equal(printed[2]["guid"], Lines(alone["IsolationFixture.ClassFixtureTests.Alpha"])["guid"]);
    }

    [Fact]
    public void EachTestOfASharedChildStartsAtTimeStart()
    {
        var first = Report["IsolationFixture.ClockTests.StartsAtTimeStartFirst"];
        var second = Report["IsolationFixture.ClockTests.StartsAtTimeStartSecond"];
        Assert.Equal(("Passed", "Passed"), (first.Outcome, second.Outcome));
        Assert.Equal(Pid(first), Pid(second));
    }

    [Fact]
    public void AHangingTestIsReportedAsATimeoutAndTheRestRunInANewChild()
    {
        var hangs = Report["IsolationFixture.TimeoutTests.Hangs"];
        Assert.Equal("Failed", hangs.Outcome);
        Assert.Contains("timed out after 3 s (TimeoutSeconds) and was killed", hangs.Message);
        foreach (var name in new[] { "PassesA", "PassesB", "PassesC" })
            Assert.Equal("Passed", Report["IsolationFixture.TimeoutTests." + name].Outcome);
    }
}
