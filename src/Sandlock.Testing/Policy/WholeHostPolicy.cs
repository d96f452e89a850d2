using Sandlock.Policy;
using Sandlock.Policy.Files;

namespace Sandlock.Testing.Policy;

/// <summary>What a whole confined test host gets besides the defaults: its folders, environment and extra rules.</summary>
internal sealed record WholeHostRequest(
    IEnumerable<string?> AppFolders,
    string TempDirectory,
    IEnumerable<string> WriteFolders,
    IEnumerable<KeyValuePair<string, string?>> Environment,
    string? WorkingDirectory,
    string? PolicyFile,
    string? ProjectDirectory)
{
    /// <summary>Connections the host needs to its runner (VSTest's socket); "host:port" specs.</summary>
    public IEnumerable<string> NetAllow { get; init; } = [];
}

/// <summary>
/// The policy of a whole confined test host, the Microsoft.Testing.Platform one and VSTest's testhost alike: read the
/// system, the repository, the .NET install and the app; write only a fresh temp dir (TMPDIR) and the folders the
/// runner needs; no network but the runner's own socket; exactly the environment the runner prepared; then the
/// policy file.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class WholeHostPolicy
{
    private const string Defaults = "default test host policy";

    public static SandboxPolicy Build(WholeHostRequest request)
    {
        var builder = new SandboxPolicyBuilder();
        FrontDoorDefaults.AddSystem(builder, ChildRoot.Host, Defaults);
        builder.FsRead(SystemReadPaths.DotnetRoot, Defaults);
        foreach (var path in request.AppFolders.OfType<string>().Where(p => Path.IsPathRooted(p) && Directory.Exists(p)).Distinct(StringComparer.Ordinal))
        {
            builder.FsRead(path, Defaults);
            // Test frameworks walk the folders above the tests (NUnit's engine looks for extension packages in each,
            // up to /): they may list those folders, names only, and open nothing in them beyond the policy.
            for (var above = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(path)); above is not null; above = Path.GetDirectoryName(above))
                builder.FsListOnly(above, Defaults);
        }
        // The repository the project is in, or the project's own folder outside one (a new project has no .git yet): test
        // data lies beside the tests, as [Sandboxed] tests may read it.
        builder.FsRead(FrontDoorDefaults.RepositoryRootOf(request.ProjectDirectory is { Length: > 0 } project && Directory.Exists(project)
            ? project : AppContext.BaseDirectory), Defaults);
        builder.FsWrite(request.TempDirectory, Defaults).CleanEnv(true, Defaults);
        foreach (var path in request.WriteFolders) builder.FsWrite(path, Defaults);
        foreach (var spec in request.NetAllow) builder.NetAllow(spec, Defaults);
        foreach (var (name, value) in request.Environment)
            if (value is not null) builder.Env(name, value, Defaults);
        builder.Env("TMPDIR", request.TempDirectory, Defaults).Env(SandboxedTestEnvironment.ConfinedHostVariable, "1", Defaults);
        if (request.WorkingDirectory is { Length: > 0 } cwd && Directory.Exists(cwd)) builder.Cwd(cwd, Defaults);
        if (request.PolicyFile is not null) PolicyFile.Load(request.PolicyFile).ApplyTo(builder);
        return builder.Build();
    }
}
