namespace Sandlock.Testing.Tests.Support;

/// <summary>
/// Once per test run: packs the Sandlock packages with a unique version into a local feed, and copies
/// tests/fixtures into a temp folder with a nuget.config that names that feed and a private packages folder
/// (the machine's global folder is only a read-only fallback), plus a secret file that no sandbox policy allows.
/// The fixtures lie in a repository of their own (a folder with <c>.git</c> and shared test data, as real suites
/// have), and the secret outside it.
/// </summary>
public sealed class FixtureWorkspace
{
    private static readonly Lazy<Task<FixtureWorkspace>> Shared = new(CreateAsync);
    private static readonly string[] PackedProjects =
        ["Sandlock.Core", "Sandlock.Testing", "Sandlock.Testing.Xunit", "Sandlock.Testing.NUnit", "Sandlock.Testing.Platform"];

    private FixtureWorkspace(string root, string version)
    {
        Root = root;
        Version = version;
    }

    public string Root { get; }
    public string Version { get; }
    public string Feed => Path.Combine(Root, "feed");
    public string SecretFile => Path.Combine(Root, "secret", "secret.txt");
    public string Repository => Path.Combine(Root, "repo");
    public string Project(string name) => Path.Combine(Repository, name);

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["SANDLOCK_FIXTURE_SECRET"] = SecretFile };

    public static Task<FixtureWorkspace> Get() => Shared.Value;

    private static async Task<FixtureWorkspace> CreateAsync()
    {
        RemoveStaleWorkspaces();
        var root = Sandlock.Tests.TestSupport.RunScopedFolder.Create("sandlock-fixtures-");
        var workspace = new FixtureWorkspace(root, $"0.1.0-t{DateTime.UtcNow:yyyyMMddHHmmss}{System.Environment.ProcessId}");
        CopyDirectory(Support.Repository.Fixtures, workspace.Repository);
        // Enough of a repository for the defaults to find its root; source control queries are off in its props.
        Directory.CreateDirectory(Path.Combine(workspace.Repository, ".git"));
        Directory.CreateDirectory(Path.Combine(workspace.Repository, "TestFiles"));
        await File.WriteAllTextAsync(Path.Combine(workspace.Repository, "TestFiles", "data.txt"), "test data at the repository root\n");
        Directory.CreateDirectory(Path.GetDirectoryName(workspace.SecretFile)!);
        await File.WriteAllTextAsync(workspace.SecretFile, "top secret\n");
        await File.WriteAllTextAsync(Path.Combine(root, "nuget.config"), NugetConfig(workspace));

        var filter = Path.Combine(root, "packages.slnf");
        await File.WriteAllTextAsync(filter, $$"""
            { "solution": { "path": "{{Path.Combine(Support.Repository.Root, "Sandlock.sln")}}",
              "projects": [{{string.Join(", ", PackedProjects.Select(p => $"\"src/{p}/{p}.csproj\""))}}] } }
            """);
        var pack = await Dotnet.Run(root, null, Dotnet.Host, "pack", filter, "--no-build", "-c", Support.Repository.Configuration, "-nr:false",
            $"-p:Version={workspace.Version}", "-o", workspace.Feed);
        Assert.True(pack.ExitCode == 0, $"dotnet pack failed:\n{pack}");
        // One restore at a time, before the test classes build their fixtures in parallel: two restores extracting the
        // same package into the shared packages folder at once fail ("Could not find file ...kix"). A failure here
        // shows again, with its message, in the fixture's own build.
        foreach (var project in Directory.EnumerateFiles(workspace.Repository, "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            await Dotnet.Run(Path.GetDirectoryName(project)!, null, Dotnet.Host, "restore", project, "-nr:false", $"-p:SandlockVersion={workspace.Version}");
        return workspace;
    }

    private static string NugetConfig(FixtureWorkspace workspace)
    {
        var global = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(workspace.Root, "packages")}" /></config>
              <packageSources>
                <clear />
                <add key="sandlock-under-test" value="{workspace.Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <fallbackPackageFolders><add key="machine" value="{global}" /></fallbackPackageFolders>
            </configuration>
            """;
    }

    /// <summary>The test host may be ended before ProcessExit runs; earlier runs' folders are removed here instead.</summary>
    private static void RemoveStaleWorkspaces()
    {
        foreach (var stale in new DirectoryInfo(Path.GetTempPath()).EnumerateDirectories("sandlock-fixtures-*"))
            if (stale.LastWriteTimeUtc < DateTime.UtcNow.AddHours(-1)) new FixtureWorkspace(stale.FullName, "").Delete();
    }

    private void Delete()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split('/').Any(part => part is "bin" or "obj" or "TestResults")) continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
