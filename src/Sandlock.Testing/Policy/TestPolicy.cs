using System.Globalization;
using System.Text.Json;
using Sandlock.Policy;
using Sandlock.Policy.Files;
using Sandlock.Policy.Settings;

namespace Sandlock.Testing.Policy;

/// <summary>
/// Builds one test's sandbox policy: the defaults (read the system and the test's output folder, write only the
/// test's temp dir, no network), then the project's <c>sandlock.toml</c>, then the attribute's properties.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class TestPolicy
{
    private const string Defaults = "default test policy";
    private const string WorkdirRule = "[Sandboxed] Workdir (a test's changes are always thrown away)";

    private static readonly string RandomSeedProperty = PolicySettings.RandomSeed.AttributeProperty!;

    /// <summary>The project's policy file, then the attribute's; throws <see cref="PolicyException"/> for one that cannot be read.</summary>
    public static IReadOnlyList<PolicyFile> Files(SandboxSettings settings, ProjectPolicy project)
    {
        var files = new List<PolicyFile>();
        if (project.PolicyFile is { } projectFile) files.Add(PolicyFile.Load(projectFile));
        if (settings.PolicyFile is { } file)
        {
            var path = Path.GetFullPath(file, project.BaseDirectory);
            if (!File.Exists(path)) throw new PolicyException($"{settings.Source} PolicyFile", $"policy file not found: {path}");
            files.Add(PolicyFile.Load(path));
        }
        return files;
    }

    /// <summary>
    /// Whether the test changes a copy-on-write workdir (its attribute's or a policy file's): such a test needs a
    /// child of its own, as the layer lives as long as the sandbox.
    /// </summary>
    public static bool HasWorkdir(SandboxSettings settings, IReadOnlyList<PolicyFile> files)
    {
        if (settings.Workdir is not null) return true;
        var scratch = new SandboxPolicyBuilder();
        foreach (var file in files) file.ApplyTo(scratch);
        return scratch.WorkdirDirectory is not null;
    }

    /// <summary>
    /// Throws <see cref="PolicyException"/> (or <see cref="NotSupportedYetException"/>) naming the bad source. Under a
    /// chroot the defaults are those of its paths that exist inside it, and <paramref name="tempDirectory"/> is the
    /// path the child sees.
    /// </summary>
    public static SandboxPolicy Build(SandboxSettings settings, ProjectPolicy project, IReadOnlyList<PolicyFile> files, ChildRoot root,
        string outputDirectory, string tempDirectory, ulong seed)
    {
        var builder = new SandboxPolicyBuilder();
        FrontDoorDefaults.AddSystem(builder, root, Defaults);
        if (root.Has(SystemReadPaths.DotnetRoot)) builder.FsRead(SystemReadPaths.DotnetRoot, Defaults);
        if (root.Has(outputDirectory)) builder.FsRead(outputDirectory, Defaults);
        // As a build step does: test data lives anywhere in the repository (../../TestFiles, a submodule).
        if (FrontDoorDefaults.RepositoryRootOf(project.BaseDirectory) is var repository && root.Has(repository)) builder.FsRead(repository, Defaults);
        foreach (var path in PackageProbingPaths(outputDirectory).Where(root.Has)) builder.FsRead(path, Defaults);
        builder.FsWrite(tempDirectory, Defaults)
            .Env("TMPDIR", tempDirectory, Defaults)
            .Env(SandboxedTestEnvironment.TempDirVariable, tempDirectory, Defaults)
            .Env(SandboxedTestEnvironment.ChildVariable, "1", Defaults)
            .Env(SandboxedTestEnvironment.SeedVariable, seed.ToString(CultureInfo.InvariantCulture), Defaults)
            .Cwd(root.Has(outputDirectory) ? outputDirectory : "/", Defaults)
            // OpenSSL (RandomNumberGenerator) mixes addresses into its nonce: a test repeats only with a fixed layout.
            .NoRandomizeMemory(true, Defaults);

        foreach (var file in files) file.ApplyTo(builder);
        ApplyAttribute(builder, settings, project.BaseDirectory);
        if (builder.WorkdirDirectory is { } workdir)
        {
            // Nothing a test writes survives it, whatever it did, however it ended, whatever a policy file says.
            builder.OnExit(BranchAction.Abort, WorkdirRule).OnError(BranchAction.Abort, WorkdirRule)
                .Env(SandboxedTestEnvironment.WorkdirVariable, workdir, WorkdirRule);
        }
        // Every sandboxed test draws from its own seed (the attribute's, else one derived from its name), so its
        // getrandom and /dev/urandom give the same bytes on every run.
        PolicySettings.RandomSeed.Apply(builder, seed.ToString(CultureInfo.InvariantCulture), settings.RandomSeed is null ? Defaults : $"{settings.Source} {RandomSeedProperty}");
        // A refusal the test swallows must still fail it: record each one (the supervisor needs to run).
        if (!builder.Build().NoSupervisor) builder.RecordFilesystemDenials(true, Defaults);
        return builder.Build();
    }

    private static void ApplyAttribute(SandboxPolicyBuilder builder, SandboxSettings settings, string baseDirectory)
    {
        var previous = builder.BaseDirectory;
        builder.BaseDirectory = baseDirectory;
        // Determinism and limits reach the policy only when asked for: the core refuses what it cannot enforce yet.
        PolicySettings.ApplyAll(builder, FrontDoor.Attribute, settings.PolicyValues().Where(v => v.Name != RandomSeedProperty), property => $"{settings.Source} {property}");
        builder.BaseDirectory = previous;
    }

    /// <summary>NuGet folders a test's deps resolve from when they are not copied beside it (runtimeconfig.dev.json).</summary>
    private static IEnumerable<string> PackageProbingPaths(string outputDirectory)
    {
        foreach (var devConfig in Directory.EnumerateFiles(outputDirectory, "*.runtimeconfig.dev.json"))
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(devConfig));
            if (!json.RootElement.TryGetProperty("runtimeOptions", out var options)
                || !options.TryGetProperty("additionalProbingPaths", out var paths)) continue;
            foreach (var path in paths.EnumerateArray())
                if (path.GetString() is { } p && Directory.Exists(p)) yield return p;
        }
    }
}
