namespace Sandlock.Build.Tests.TestSupport;

/// <summary>
/// Sandlock.Build packed once per test run, from the build the test project depends on, into a local feed with a
/// version no earlier run used (so no NuGet cache can hand out an older package).
/// </summary>
internal sealed class LocalPackage
{
    private static readonly Lazy<Task<LocalPackage>> Shared = new(PackAsync);

    private LocalPackage(string runDirectory, string feed, string version)
    {
        RunDirectory = runDirectory;
        Feed = feed;
        Version = version;
    }

    /// <summary>Temp folder of this test run: the feed, the private packages folder, the fixture copies.</summary>
    public string RunDirectory { get; }
    public string Feed { get; }
    public string Version { get; }
    public string PackagesFolder => Path.Combine(RunDirectory, "packages");

    public static Task<LocalPackage> GetAsync() => Shared.Value;

    private static async Task<LocalPackage> PackAsync()
    {
        var version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var runDirectory = Sandlock.Tests.TestSupport.RunScopedFolder.Create("sandlock-build-tests-");
        var feed = Path.Combine(runDirectory, "feed");
        var result = await DotnetCommand.RunAsync(Repository.Root,
        [
            "pack", Path.Combine(Repository.Root, "src", "Sandlock.Build", "Sandlock.Build.csproj"),
            "-c", Repository.Configuration, "--no-build", "-nr:false", "-o", feed, $"-p:PackageVersion={version}",
            // The nuspec goes to the run's folder, so a checkout the tests cannot write (run as nobody) still packs.
            $"-p:NuspecOutputPath={Path.Combine(runDirectory, "nuspec")}/",
        ]);
        if (result.ExitCode != 0) throw new InvalidOperationException($"packing Sandlock.Build failed: {result}");
        return new LocalPackage(runDirectory, feed, version);
    }
}
