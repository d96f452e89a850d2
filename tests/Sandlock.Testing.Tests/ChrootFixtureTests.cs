using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

/// <summary>
/// Builds tests/fixtures/ChrootFixture, lays out the roots its policy files name, and runs it with procfs mounted in
/// the full root: the test run is started in a mount namespace of its own (with a user namespace when not root), so
/// the mount ends with it.
/// </summary>
public sealed class ChrootFixtureRun : IAsyncLifetime
{
    public Dotnet.Outcome Outcome { get; private set; } = null!;
    public TrxReport Report { get; private set; } = null!;
    public string Rootfs { get; private set; } = "";
    public string Empty { get; private set; } = "";
    public string Shared { get; private set; } = "";
    public string NoProc { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var workspace = await FixtureWorkspace.Get();
        var project = workspace.Project("ChrootFixture");
        var build = await Dotnet.Run(project, null, Dotnet.Host, ["build", "-c", "Release", "-nr:false", $"-p:SandlockVersion={workspace.Version}"]);
        Assert.True(build.ExitCode == 0, $"building ChrootFixture failed:\n{build}");

        var output = Path.Combine(project, "bin", "Release", "net10.0");
        Rootfs = workspace.Project("ChrootFixture-rootfs");
        DotnetRootfs.Create(Rootfs, [output]);
        Directory.CreateDirectory(Rootfs + "/etc");
        await File.WriteAllTextAsync(Rootfs + "/etc/marker", "only inside the chroot\n");
        Shared = Directory.CreateDirectory(workspace.Project("ChrootFixture-shared")).FullName;
        await File.WriteAllTextAsync(Shared + "/data.txt", "from the host folder\n");
        Empty = Directory.CreateDirectory(workspace.Project("ChrootFixture-empty")).FullName;
        NoProc = workspace.Project("ChrootFixture-noproc");
        DotnetRootfs.AddFile(NoProc, Dotnet.Host);
        Directory.CreateDirectory(NoProc + output);

        var results = Path.Combine(project, "TestResults");
        string[] unshare = Environment.UserName == "root" ? ["-m"] : ["-Urm"];
        Outcome = await Dotnet.Run(project, workspace.Environment, "/usr/bin/unshare",
            [.. unshare, "--propagation", "private", "--", "/bin/sh", "-c", "mount --rbind /proc \"$0/proc\" && exec \"$@\"", Rootfs,
             Dotnet.Host, "test", "--no-build", "-c", "Release", "-nr:false", $"-p:SandlockVersion={workspace.Version}",
             "--logger", "trx", "--results-directory", results]);
        Assert.True(Directory.Exists(results), $"dotnet test of ChrootFixture wrote no TRX:\n{Outcome}");
        Report = TrxReport.LoadSingle(results);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>[Sandboxed] with a policy file's chroot: the child test host runs inside it.</summary>
public sealed class ChrootFixtureTests(ChrootFixtureRun run) : IClassFixture<ChrootFixtureRun>
{
    private const string Tests = "ChrootFixture.ChrootTests.";
    private TrxReport Report => run.Report;

    [Fact]
    public void ReportsExactlyTheExpectedOutcomes()
    {
        Assert.Equal((4, 2), (Report.Count("Passed"), Report.Count("Failed")));
        Assert.Equal("Passed", Report[Tests + "Unsandboxed"].Outcome);
    }

    [Fact]
    public void TheTestRunsInsideTheChrootAndWritesItsTempFolderThere()
    {
        var result = Report[Tests + "RunsInsideTheChroot"];
        Assert.True(result.Outcome == "Passed", $"{result.Message}\n{result.StdOut}");
        Assert.Contains("marker: only inside the chroot", result.StdOut);
        // A shared child (the default isolation) writes under its session folder, a fresh one in a folder of its own.
        Assert.Matches(@"wrote /tmp/sandlock-tests?-", result.StdOut);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(run.Rootfs + "/tmp"), p => Path.GetFileName(p).StartsWith("sandlock-test", StringComparison.Ordinal));
    }

    [Fact]
    public void AMountedFolderIsReadInsideTheChrootAndItsReadOnlyMountKeepsItUnchanged()
    {
        var result = Report[Tests + "ReadsAMountedFolderThatWritesCannotChange"];
        Assert.True(result.Outcome == "Passed", $"{result.Message}\n{result.StdOut}");
        Assert.Contains("shared: from the host folder", result.StdOut);
        Assert.Contains("listing: data.txt", result.StdOut);
        Assert.Contains("write: IOException: Read-only file system", result.StdOut);
        Assert.Equal("from the host folder\n", File.ReadAllText(run.Shared + "/data.txt"));
    }

    [Fact]
    public void AHostFileIsOutOfReachByItsPathAndThroughRootLinks()
    {
        var result = Report[Tests + "ReachesForTheHostSecret"];
        Assert.True(result.Outcome == "Passed", $"{result.Message}\n{result.StdOut}");
        Assert.DoesNotContain("top secret", result.StdOut);
        Assert.DoesNotContain(": read ", result.StdOut);
        var lines = result.StdOut.Trim().Split('\n');
        Assert.Equal(3, lines.Length);
        // Not there at all inside; through another process's root link, the host file Landlock does not allow.
        Assert.EndsWith(": DirectoryNotFoundException", lines[0].Trim());
        Assert.EndsWith(": UnauthorizedAccessException", lines[1].Trim());
    }

    [Fact]
    public void AChrootWithoutTheRuntimeFailsTheTestNamingWhatIsMissing()
    {
        var result = Report[Tests + "ChrootWithoutTheRuntime"];
        Assert.Equal("Failed", result.Outcome);
        Assert.Contains($"the chroot {run.Empty} has no {Dotnet.Host}: a sandboxed test's host runs inside the chroot and needs the .NET runtime and the test output at the same paths", result.Message);
    }

    [Fact]
    public void AChrootWithoutProcfsFailsTheTestSayingWhy()
    {
        var result = Report[Tests + "ChrootWithoutProc"];
        Assert.Equal("Failed", result.Outcome);
        Assert.Contains($"the chroot {run.NoProc} has no procfs at /proc: the .NET runtime does not start without one", result.Message);
    }
}
