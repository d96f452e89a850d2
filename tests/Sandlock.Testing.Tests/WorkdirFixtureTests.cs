using System.Security.Cryptography;
using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

/// <summary>A fixture run that notes every byte of the project's fixture-data folder before the tests change it.</summary>
public abstract class WorkdirFixtureRun : FixtureTestRun
{
    public string FixtureData { get; private set; } = "";
    public SortedDictionary<string, string> Before { get; private set; } = [];

    protected override void BeforeRun(string project)
    {
        FixtureData = Path.Combine(project, "fixture-data");
        Before = Snapshot(FixtureData);
    }

    /// <summary>Every entry below <paramref name="root"/>: its type, permissions, and bytes or link target.</summary>
    public static SortedDictionary<string, string> Snapshot(string root)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 };
        foreach (var info in new DirectoryInfo(root).EnumerateFileSystemInfos("*", options))
        {
            var mode = Convert.ToString((int)File.GetUnixFileMode(info.FullName), 8);
            entries[Path.GetRelativePath(root, info.FullName)] = info.LinkTarget is { } target ? $"link -> {target}"
                : info is DirectoryInfo ? $"dir {mode}"
                : $"file {mode} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(info.FullName)))}";
        }
        return entries;
    }
}

public sealed class WorkdirXunitRun : WorkdirFixtureRun
{
    protected override string ProjectName => "WorkdirXunit";
}

public sealed class WorkdirNUnitRun : WorkdirFixtureRun
{
    protected override string ProjectName => "WorkdirNUnit";
}

/// <summary>
/// tests/fixtures/WorkdirXunit and WorkdirNUnit under dotnet test, with the packed packages: a test with
/// <c>[Sandboxed(Workdir = "fixture-data")]</c> writes, deletes and renames in its view of the folder, and after the
/// run the folder is byte for byte what it was, whether the test passed or failed.
/// </summary>
public abstract class WorkdirFixtureTests(WorkdirFixtureRun run)
{
    // xunit names a result Namespace.Class.Method, NUnit by the method alone; the methods' names differ.
    private TrxReport.Result Result(string method) =>
        run.Report.Results.SingleOrDefault(r => r.Name == method || r.Name.EndsWith("." + method, StringComparison.Ordinal))
        ?? throw new KeyNotFoundException($"no result for {method}; have: {string.Join(", ", run.Report.Results.Select(r => r.Name))}");

    private static string Pid(TrxReport.Result result) =>
        result.StdOut.Split('\n').First(l => l.StartsWith("pid ", StringComparison.Ordinal)).Split(' ')[1];

    [Fact]
    public void ThePassingTheFailingAndTheTimedOutTestLeaveTheFixtureFolderByteForByteAsItWas()
    {
        Assert.NotEmpty(run.Before);
        Assert.Equal(run.Before, WorkdirFixtureRun.Snapshot(run.FixtureData));
    }

    [Fact]
    public void ATestSeesItsOwnWritesDeletionsAndRenamesInTheFolder()
    {
        var result = Result("WritesDeletesAndRenames");
        Assert.True(result.Outcome == "Passed", result.Message + result.StdOut);
        // A relative Workdir is the project folder's.
        Assert.Contains($"workdir {run.FixtureData}", result.StdOut);
    }

    [Fact]
    public void AFailingTestIsReportedAsItsOwnFailure()
    {
        var result = Result("FailsAfterChangingTheFolder");
        Assert.Equal("Failed", result.Outcome);
        Assert.Contains("failing on purpose after changing the fixture folder", result.Message);
    }

    [Fact]
    public void ATestThatTimesOutIsReportedAsSuch()
    {
        var result = Result("HangsAfterChangingTheFolder");
        Assert.Equal("Failed", result.Outcome);
        Assert.Contains("timed out after 3 s (TimeoutSeconds) and was killed", result.Message);
    }

    [Fact]
    public void TestsOfASharedIsolationDoNotSeeEachOthersChanges()
    {
        var first = Result("CreatesTheFileFirst");
        var second = Result("CreatesTheFileSecond");
        Assert.True((first.Outcome, second.Outcome) == ("Passed", "Passed"), first.Message + first.StdOut + second.Message + second.StdOut);
        Assert.NotEqual(Pid(first), Pid(second));
    }

    [Fact]
    public void OnlyTheTestsThatFailOnPurposeFailAndNoLayerOrTempFolderIsLeft()
    {
        Assert.Equal(["FailsAfterChangingTheFolder", "HangsAfterChangingTheFolder"],
            run.Report.Results.Where(r => r.Outcome != "Passed").Select(r => r.Name[(r.Name.LastIndexOf('.') + 1)..]).Order(StringComparer.Ordinal));
        Assert.Equal(5, run.Report.Results.Count);
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.TempFolder, "sandlock-test*"));
        // The copy-on-write storage folder stays (as /tmp/sandlock-UID does), empty: every test's layer was thrown away.
        foreach (var storage in Directory.EnumerateDirectories(run.TempFolder, "sandlock-cow-*"))
            Assert.Empty(Directory.EnumerateFileSystemEntries(storage));
    }
}

[Collection(XunitFixtureTests.Collection)]
public sealed class WorkdirXunitFixtureTests(WorkdirXunitRun run) : WorkdirFixtureTests(run), IClassFixture<WorkdirXunitRun>;

public sealed class WorkdirNUnitFixtureTests(WorkdirNUnitRun run) : WorkdirFixtureTests(run), IClassFixture<WorkdirNUnitRun>;
