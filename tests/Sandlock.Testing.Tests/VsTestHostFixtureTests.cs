using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

public sealed class VsTestHostXunitRun : FixtureTestRun
{
    protected override string ProjectName => "VsTestHostXunit";
}

public sealed class VsTestHostNUnitRun : FixtureTestRun
{
    protected override string ProjectName => "VsTestHostNUnit";
}

/// <summary>
/// tests/fixtures/VsTestHostXunit and VsTestHostNUnit: SandlockTestHost=true in a VSTest project confines the whole
/// testhost by the project's sandlock.toml, with no [Sandboxed] in the code.
/// </summary>
public abstract class VsTestHostFixtureTests(FixtureTestRun run)
{
    /// <summary>The name a result has in the TRX: xunit reports the full name, NUnit the method's.</summary>
    protected abstract string Name(string method);

    [Fact]
    public void CountsAndExitCodeAreRight()
    {
        Assert.True((2, 2) == (run.Report.Count("Passed"), run.Report.Count("Failed")), $"unexpected counts:\n{run.Outcome}");
        Assert.NotEqual(0, run.Outcome.ExitCode);
    }

    [Fact]
    public void ReadingASecretFailsWithTheDenialNamed()
    {
        var result = run.Report[Name("ReadsSecret")];
        Assert.Equal("Failed", result.Outcome);
        Assert.Contains("UnauthorizedAccessException", result.Message);
        Assert.Contains("Sandlock: the sandbox denied access to ", result.Message);
        Assert.Contains("secret.txt", result.Message);
    }

    [Fact]
    public void TheTempFolderIsWritable() => Assert.Equal("Passed", run.Report[Name("WritesTempDir")].Outcome);

    [Fact]
    public async Task TheLauncherTakesThePolicyFileBesideTheProject()
    {
        var project = (await FixtureWorkspace.Get()).Project(run.GetType().Name.Replace("Run", "", StringComparison.Ordinal));
        var launcher = await File.ReadAllTextAsync(Path.Combine(project, "bin", "Release", "net10.0", "sandlock-testhost"));
        Assert.Contains($"--sandlock-vstest-host '{Path.Combine(project, "sandlock.toml")}'", launcher);
    }

    [Fact]
    public void NetworkIsRefusedWithTheDenialNamed()
    {
        var result = run.Report[Name("ConnectsOut")];
        Assert.Equal("Failed", result.Outcome);
        Assert.Contains("Permission denied", result.Message);
        Assert.Contains("Sandlock: the sandbox denied a TCP connection", result.Message);
    }
}

public sealed class VsTestHostXunitTests(VsTestHostXunitRun run) : VsTestHostFixtureTests(run), IClassFixture<VsTestHostXunitRun>
{
    protected override string Name(string method) => $"VsTestHostXunit.HostTests.{method}";
}

/// <summary>
/// NUnit's engine (in NUnit3TestAdapter) looks for extension packages in every folder above the test assembly, up to
/// /: the whole-host policy lets it list those folders (names only), so the run goes as xunit's does.
/// </summary>
public sealed class VsTestHostNUnitTests(VsTestHostNUnitRun run) : VsTestHostFixtureTests(run), IClassFixture<VsTestHostNUnitRun>
{
    protected override string Name(string method) => method;
}
