namespace Sandlock.Build.Tests.TestSupport;

/// <summary>
/// A private copy of a project under tests/fixtures that consumes the packed Sandlock.Build, with a fake HOME
/// holding a secret (<c>$HOME/.ssh/id_rsa</c>) outside every folder the default policy allows.
/// </summary>
internal sealed class FixtureProject
{
    public const string SecretText = "-----BEGIN FAKE PRIVATE KEY----- sandlock-test-secret";

    /// <summary>The uid and gid of an ordinary user (nobody) that <see cref="Unprivileged"/> copies build as.</summary>
    public const int UnprivilegedId = 65534;

    private FixtureProject(string directory, string projectFile, string home, bool unprivileged)
    {
        Directory = directory;
        ProjectFile = projectFile;
        Home = home;
        Unprivileged = unprivileged;
    }

    /// <summary>Built as <see cref="UnprivilegedId"/> (through setpriv when the tests run as root).</summary>
    public bool Unprivileged { get; }

    public string Directory { get; }
    public string ProjectFile { get; }
    public string Home { get; }

    /// <summary>Copies the fixture; <paramref name="rewrite"/> may change the text of each copied file.</summary>
    /// <param name="unprivileged">
    /// Build as an ordinary user: the copy, its own packages folder and HOME then belong to that user, and the run
    /// folder lets it through to the feed.
    /// </param>
    /// <param name="parent">The folder to make the copy in; default: the test run's.</param>
    public static async Task<FixtureProject> CopyAsync(string fixture, Func<string, string>? rewrite = null, bool unprivileged = false,
        string? parent = null)
    {
        var package = await LocalPackage.GetAsync();
        var root = Path.Combine(parent ?? package.RunDirectory, $"{fixture}-{Guid.NewGuid():N}");
        var packagesFolder = unprivileged ? Path.Combine(root, "packages") : package.PackagesFolder;
        var projectDirectory = Path.Combine(root, fixture);
        CopyTree(Path.Combine(Repository.Fixtures, fixture), projectDirectory, rewrite ?? (text => text));

        // Stop MSBuild's and NuGet's upward searches here, and pin the package version and feed.
        await File.WriteAllTextAsync(Path.Combine(root, "Directory.Build.props"),
            $"<Project><PropertyGroup><SandlockBuildVersion>{package.Version}</SandlockBuildVersion></PropertyGroup></Project>");
        await File.WriteAllTextAsync(Path.Combine(root, "Directory.Build.targets"), "<Project />");
        await File.WriteAllTextAsync(Path.Combine(root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="sandlock-test-feed" value="{package.Feed}" />
              </packageSources>
              <config>
                <add key="globalPackagesFolder" value="{packagesFolder}" />
              </config>
            </configuration>
            """);

        var home = Path.Combine(root, "home");
        System.IO.Directory.CreateDirectory(Path.Combine(home, ".ssh"));
        await File.WriteAllTextAsync(Path.Combine(home, ".ssh", "id_rsa"), SecretText + "\n");

        if (unprivileged && Environment.UserName == "root")
        {
            File.SetUnixFileMode(package.RunDirectory, (UnixFileMode)0b111_001_001);
            var chown = await DotnetCommand.RunProgramAsync(root, "/usr/bin/chown", ["-R", $"{UnprivilegedId}:{UnprivilegedId}", root]);
            if (chown.ExitCode != 0) throw new InvalidOperationException($"chown of {root} failed: {chown}");
        }
        return new FixtureProject(projectDirectory, System.IO.Directory.GetFiles(projectDirectory, "*.csproj").Single(), home, unprivileged);
    }

    /// <summary><c>dotnet build</c> of the copy (restore included), with the fake HOME and extra variables.</summary>
    public Task<CommandResult> BuildAsync(string? target = null, IReadOnlyDictionary<string, string>? properties = null,
        IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? switches = null) =>
        RunAsync("build", target, properties, environment, switches: switches);

    /// <summary><c>dotnet pack</c> of the copy (restore and build included), as <see cref="BuildAsync"/>.</summary>
    public Task<CommandResult> PackAsync(IReadOnlyDictionary<string, string>? properties = null) => RunAsync("pack", null, properties, null);

    /// <summary>
    /// <see cref="BuildAsync"/> (detailed output) in MSBuild worker nodes that stay up between builds, as on a
    /// developer's machine; only builds given the same <paramref name="nodes"/> name share them. End them with
    /// <see cref="ShutDownNodesAsync"/>.
    /// </summary>
    public Task<CommandResult> BuildInReusedNodesAsync(string nodes, IReadOnlyDictionary<string, string>? properties = null) =>
        RunAsync("build", null, properties, ReusedNodes(nodes), reuseNodes: true);

    public Task<CommandResult> ShutDownNodesAsync(string nodes) =>
        DotnetCommand.RunAsync(Directory, ["build-server", "shutdown", "--msbuild"], ReusedNodes(nodes));

    // The handshake salt keeps these nodes apart from any other build's.
    private Dictionary<string, string> ReusedNodes(string nodes) =>
        new() { ["MSBUILDNODEHANDSHAKESALT"] = nodes, ["MSBUILDNOINPROCNODE"] = "1", ["MSBUILDDISABLENODEREUSE"] = "0", ["HOME"] = Home };

    private Task<CommandResult> RunAsync(string command, string? target, IReadOnlyDictionary<string, string>? properties,
        IReadOnlyDictionary<string, string>? environment, bool reuseNodes = false, IReadOnlyList<string>? switches = null)
    {
        List<string> arguments = [command, ProjectFile, reuseNodes ? "-nr:true" : "-nr:false", "-tl:false", reuseNodes ? "-v:d" : "-v:n", "-nologo", "-clp:NoSummary",
            .. switches ?? []];
        if (target is not null) arguments.Add($"-t:{target}");
        foreach (var (name, value) in properties ?? new Dictionary<string, string>()) arguments.Add($"-p:{name}={value}");
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["HOME"] = Home };
        if (!Unprivileged) return DotnetCommand.RunAsync(Directory, arguments, env);
        env["DOTNET_CLI_HOME"] = Home;
        return Environment.UserName == "root"
            ? DotnetCommand.RunAsync(Directory, arguments, env,
                ["/usr/bin/setpriv", $"--reuid={UnprivilegedId}", $"--regid={UnprivilegedId}", "--clear-groups", "--"])
            : DotnetCommand.RunAsync(Directory, arguments, env);
    }

    private static void CopyTree(string from, string to, Func<string, string> rewrite)
    {
        System.IO.Directory.CreateDirectory(to);
        foreach (var file in System.IO.Directory.GetFiles(from))
        {
            var name = Path.GetFileName(file);
            if (name is "bin" or "obj") continue;
            File.WriteAllText(Path.Combine(to, name), rewrite(File.ReadAllText(file)));
        }
        foreach (var directory in System.IO.Directory.GetDirectories(from))
        {
            var name = Path.GetFileName(directory);
            if (name is "bin" or "obj") continue;
            CopyTree(directory, Path.Combine(to, name), rewrite);
        }
    }
}
