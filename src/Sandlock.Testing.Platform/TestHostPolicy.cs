using Microsoft.Testing.Platform.Extensions.TestHostControllers;
using Sandlock.Policy;
using Sandlock.Policy.Files;
using Sandlock.Testing.Policy;

namespace Sandlock.Testing.Platform;

/// <summary>
/// The confined test host's policy: read the system and the app, write only a fresh temp dir (TMPDIR) and the
/// results directory, no network; then the policy file. The host gets exactly the environment the platform prepared.
/// </summary>
internal static class TestHostPolicy
{
    private const string Defaults = "default test host policy";

    public static SandboxPolicy Build(TestHostLaunchContext context, string? policyFile, string resultsDirectory, string tempDirectory)
    {
        var builder = new SandboxPolicyBuilder();
        FrontDoorDefaults.AddSystem(builder, ChildRoot.Host, Defaults);
        builder.FsRead(SystemReadPaths.DotnetRoot, Defaults);
        foreach (var path in AppFolders(context)) builder.FsRead(path, Defaults);
        builder.FsRead(FrontDoorDefaults.RepositoryRootOf(AppContext.BaseDirectory), Defaults);
        builder.FsWrite(tempDirectory, Defaults).FsWrite(resultsDirectory, Defaults).CleanEnv(true, Defaults);
        // Reaching a unix socket is a write: the folder of the platform's own pipes, and nothing else of the temp folder.
        if (PlatformPipes.Directory is { } pipes) builder.FsWrite(pipes, Defaults);
        foreach (var (name, value) in context.EnvironmentVariables)
            if (value is not null) builder.Env(name, value, Defaults);
        builder.Env("TMPDIR", tempDirectory, Defaults);
        if (context.WorkingDirectory is { Length: > 0 } cwd && Directory.Exists(cwd)) builder.Cwd(cwd, Defaults);
        if (policyFile is not null) PolicyFile.Load(policyFile).ApplyTo(builder);
        return builder.Build();
    }

    private static IEnumerable<string> AppFolders(TestHostLaunchContext context)
    {
        IEnumerable<string?> candidates = [AppContext.BaseDirectory, context.WorkingDirectory, Path.GetDirectoryName(context.FileName)];
        return candidates.OfType<string>().Where(p => Path.IsPathRooted(p) && Directory.Exists(p)).Distinct(StringComparer.Ordinal);
    }
}
