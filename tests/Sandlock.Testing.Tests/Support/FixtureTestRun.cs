namespace Sandlock.Testing.Tests.Support;

/// <summary>One <c>dotnet test</c> of a fixture project against the packed packages, shared by a test class.</summary>
public abstract class FixtureTestRun : IAsyncLifetime
{
    protected abstract string ProjectName { get; }

    protected virtual string[] ExtraArguments => [];

    /// <summary>The TMPDIR the run's test host and its sandboxes are given: a folder of its own, to see what is left in it.</summary>
    public string TempFolder { get; } = Directory.CreateTempSubdirectory("sandlock-fixture-tmp-").FullName;

    public Dotnet.Outcome Outcome { get; private set; } = null!;
    public TrxReport Report { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var workspace = await FixtureWorkspace.Get();
        var project = workspace.Project(ProjectName);
        var results = Path.Combine(project, "TestResults");
        // What a killed test host leaves: a shared child's folder and its owner mark, which no process holds. The test
        // host sweeps its temp directory once, so the runs' "no folder left" checks see this one gone too.
        Directory.CreateDirectory(Path.Combine(TempFolder, "sandlock-tests-abandoned"));
        File.WriteAllText(Path.Combine(TempFolder, "sandlock-tests-abandoned.owner"), "");
        BeforeRun(project);
        Outcome = await Dotnet.Run(project, EnvironmentOf(workspace), Dotnet.Host,
            ["test", "-c", "Release", "-nr:false", $"-p:SandlockVersion={workspace.Version}",
             "--logger", "trx", "--results-directory", results, .. ExtraArguments]);
        Assert.True(Directory.Exists(results) && Directory.EnumerateFiles(results, "*.trx", SearchOption.AllDirectories).Any(),
            $"dotnet test of {ProjectName} wrote no TRX:\n{Outcome}");
        Report = TrxReport.LoadSingle(results);
    }

    /// <summary>What a run class notes of the fixture project (copied, restored) before <c>dotnet test</c> runs it.</summary>
    protected virtual void BeforeRun(string project) { }

    /// <summary>Runs the already built fixture again, only the tests <paramref name="filter"/> selects, with variables added.</summary>
    public async Task<TrxReport> RunAgain(string filter, IReadOnlyDictionary<string, string>? environment = null)
    {
        var workspace = await FixtureWorkspace.Get();
        var project = workspace.Project(ProjectName);
        var results = Path.Combine(project, "TestResults-" + Guid.NewGuid().ToString("N"));
        var variables = EnvironmentOf(workspace);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) variables[name] = value;
        var again = await Dotnet.Run(project, variables, Dotnet.Host,
            ["test", "--no-build", "-c", "Release", "-nr:false", $"-p:SandlockVersion={workspace.Version}",
             "--filter", filter, "--logger", "trx", "--results-directory", results, .. ExtraArguments]);
        Assert.True(Directory.Exists(results), $"the second dotnet test of {ProjectName} wrote no TRX:\n{again}");
        return TrxReport.LoadSingle(results);
    }

    private Dictionary<string, string> EnvironmentOf(FixtureWorkspace workspace) =>
        // vstest.console kills a test host that has not exited 100 ms after the run; given 1 ms, a child or a folder
        // the host ends only on its way out is left behind every time, not only on a busy machine.
        new(workspace.Environment) { ["TMPDIR"] = TempFolder, ["VSTEST_TESTHOST_SHUTDOWN_TIMEOUT"] = "1" };

    public Task DisposeAsync()
    {
        Directory.Delete(TempFolder, recursive: true);
        return Task.CompletedTask;
    }
}
