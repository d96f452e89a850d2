using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

/// <summary>Builds tests/fixtures/MtpFixture (an MSTest-runner app) once, then runs its executable in several ways.</summary>
public class MtpFixtureBuild : IAsyncLifetime
{
    protected virtual string Folder => "MtpFixture";
    protected virtual string[] BuildProperties => [];

    public FixtureWorkspace Workspace { get; private set; } = null!;
    public string Project => Workspace.Project(Folder);
    public string App => Path.Combine(Project, "bin", "Release", "net10.0", "MtpFixture");

    public async Task InitializeAsync()
    {
        Workspace = await FixtureWorkspace.Get();
        if (!Directory.Exists(Project)) FixtureWorkspace.CopyDirectory(Workspace.Project("MtpFixture"), Project);
        Prepare();
        var build = await Dotnet.Run(Project, null, Dotnet.Host, ["build", "-c", "Release", "-nr:false", $"-p:SandlockVersion={Workspace.Version}", .. BuildProperties]);
        Assert.True(build.ExitCode == 0, $"building MtpFixture failed:\n{build}");
    }

    protected virtual void Prepare() { }

    public async Task<(Dotnet.Outcome Outcome, TrxReport Report)> Run(string name, params string[] arguments)
    {
        var results = Path.Combine(Project, "TestResults", name);
        var outcome = await Dotnet.Run(Project, Workspace.Environment, App, [.. arguments, "--report-trx", "--results-directory", results]);
        Assert.True(Directory.Exists(results), $"MtpFixture {string.Join(' ', arguments)} wrote no results:\n{outcome}");
        return (outcome, TrxReport.LoadSingle(results));
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

public sealed class MtpFixtureTests(MtpFixtureBuild fixture) : IClassFixture<MtpFixtureBuild>
{
    [Fact]
    public async Task WithoutTheOptionTheHostRunsUnconfined()
    {
        var (_, report) = await fixture.Run("plain");
        Assert.Equal("Passed", report["ReadsSecret"].Outcome);
        Assert.Equal((3, 1), (report.Count("Passed"), report.Count("Failed")));
    }

    [Fact]
    public async Task SandlockOptionConfinesTheWholeTestHost()
    {
        var (outcome, report) = await fixture.Run("confined", "--sandlock");
        Assert.Equal((1, 3), (report.Count("Passed"), report.Count("Failed")));
        Assert.Contains("System.UnauthorizedAccessException", report["ReadsSecret"].Message);
        // Before, the host's denials were dropped; now the run says what the supervisor refused and why.
        Assert.Contains("sandlock: the sandbox denied ", outcome.ToString());
        Assert.Contains("/proc/1/cmdline (/proc view: not a process of this sandbox)", outcome.ToString());
        Assert.Equal("Passed", report["WritesTempDir"].Outcome);
        Assert.Contains("the confined host's assertion message", report["FailsWithMessage"].Message);
        Assert.NotEqual(0, outcome.ExitCode);
    }

    [Fact]
    public async Task SandlockOptionTakesAPolicyFile()
    {
        var (_, report) = await fixture.Run("policy-file", "--sandlock", Path.Combine(fixture.Project, "allow-secret.toml"));
        Assert.Equal("Passed", report["ReadsSecret"].Outcome);
    }

    [Fact]
    public async Task SandlockOptionTakesAPolicyFileByARelativePath()
    {
        var (_, report) = await fixture.Run("policy-file-relative", "--sandlock", "allow-secret.toml");
        Assert.Equal("Passed", report["ReadsSecret"].Outcome);
    }

    [Fact]
    public async Task APipesFolderACrashedRunLeftIsRemovedByTheNextConfinedRun()
    {
        // What a run killed before its exit handlers leaves: the folder and its owner mark, which no process holds.
        var left = Directory.CreateTempSubdirectory("sandlock-pipes-").FullName;
        await File.WriteAllTextAsync(left + ".owner", "");

        await fixture.Run("after-a-crash", "--sandlock");

        Assert.False(Directory.Exists(left), $"{left} is still there");
        Assert.False(File.Exists(left + ".owner"));
    }

    [Fact]
    public async Task MissingPolicyFileIsAnError()
    {
        var (outcome, _) = await RunWithoutReport("--sandlock", "/nonexistent/sandlock.toml");
        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Contains("--sandlock: policy file not found: /nonexistent/sandlock.toml", outcome.Output);
    }

    private async Task<(Dotnet.Outcome, string)> RunWithoutReport(params string[] arguments) =>
        (await Dotnet.Run(fixture.Project, fixture.Workspace.Environment, fixture.App, arguments), "");
}

/// <summary>The same app built with SandlockTestHost=true (in its own folder), so every run is confined.</summary>
public sealed class MtpFixtureConfinedBuild : MtpFixtureBuild
{
    protected override string Folder => "MtpFixtureConfined";
    protected override string[] BuildProperties => ["-p:SandlockTestHost=true"];
}

public sealed class MtpTestHostPropertyTests(MtpFixtureConfinedBuild fixture) : IClassFixture<MtpFixtureConfinedBuild>
{
    [Fact]
    public async Task SandlockTestHostPropertyConfinesEveryRun()
    {
        var (_, report) = await fixture.Run("property");
        Assert.Contains("System.UnauthorizedAccessException", report["ReadsSecret"].Message);
        Assert.Equal((1, 3), (report.Count("Passed"), report.Count("Failed")));
    }
}

/// <summary>
/// The same app in a folder whose global.json puts .NET 10's <c>dotnet test</c> in its Microsoft.Testing.Platform mode
/// (as <c>dotnet new mstest --test-runner Microsoft.Testing.Platform</c> writes), README's way to run it.
/// </summary>
public sealed class MtpFixtureDotnetTestBuild : MtpFixtureBuild
{
    protected override string Folder => "MtpFixtureDotnetTest";

    protected override void Prepare() =>
        File.WriteAllText(Path.Combine(Project, "global.json"), """{ "test": { "runner": "Microsoft.Testing.Platform" } }""");

    public async Task<(Dotnet.Outcome Outcome, TrxReport Report)> DotnetTest(string name, params string[] arguments)
    {
        var results = Path.Combine(Project, "TestResults", name);
        var outcome = await Dotnet.Run(Project, Workspace.Environment, Dotnet.Host,
            ["test", "-c", "Release", "--no-build", .. arguments, "--report-trx", "--results-directory", results]);
        Assert.True(Directory.Exists(results) && Directory.EnumerateFiles(results, "*.trx").Any(),
            $"dotnet test {string.Join(' ', arguments)} wrote no report:\n{outcome}");
        return (outcome, TrxReport.LoadSingle(results));
    }
}

public sealed class MtpDotnetTestTests(MtpFixtureDotnetTestBuild fixture) : IClassFixture<MtpFixtureDotnetTestBuild>
{
    /// <summary>Exit code 2: the platform's "at least one test failed", which dotnet test passes on.</summary>
    private const int SomeTestFailed = 2;

    [Fact]
    public async Task DotnetTestWithoutTheOptionRunsUnconfined()
    {
        var (outcome, report) = await fixture.DotnetTest("plain");
        Assert.Equal("Passed", report["ReadsSecret"].Outcome);
        Assert.Equal((3, 1), (report.Count("Passed"), report.Count("Failed")));
        Assert.Equal(SomeTestFailed, outcome.ExitCode);
    }

    /// <summary>The host talks to the dotnet CLI over the CLI's own unix socket in /tmp, which the policy must reach.</summary>
    [Theory]
    [InlineData("after-dashes", "--", "--sandlock")]
    [InlineData("plain-option", "--sandlock")]
    public async Task DotnetTestSandlockConfinesTheWholeTestHost(string name, params string[] arguments)
    {
        var (outcome, report) = await fixture.DotnetTest(name, arguments);
        Assert.Equal((1, 3), (report.Count("Passed"), report.Count("Failed")));
        Assert.Contains("System.UnauthorizedAccessException", report["ReadsSecret"].Message);
        Assert.Equal("Passed", report["WritesTempDir"].Outcome);
        Assert.DoesNotContain("denied connect unix socket", outcome.Output);
        Assert.Matches(@"total: 4\s+failed: 3\s+succeeded: 1", outcome.Output);
        Assert.Equal(SomeTestFailed, outcome.ExitCode);
    }
}
