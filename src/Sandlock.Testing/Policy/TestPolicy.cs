using System.Text.Json;
using Sandlock.Policy;
using Sandlock.Policy.Files;

namespace Sandlock.Testing.Policy;

/// <summary>
/// Builds one test's sandbox policy: the defaults (read the system and the test's output folder, write only the
/// test's temp dir, no network), then the project's <c>sandlock.toml</c>, then the attribute's properties.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class TestPolicy
{
    private const string Defaults = "default test policy";

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
            .Env(SandboxedTestEnvironment.SeedVariable, seed.ToString(System.Globalization.CultureInfo.InvariantCulture), Defaults)
            .Cwd(root.Has(outputDirectory) ? outputDirectory : "/", Defaults)
            // OpenSSL (RandomNumberGenerator) mixes addresses into its nonce: a test repeats only with a fixed layout.
            .NoRandomizeMemory(true, Defaults);

        foreach (var file in files) file.ApplyTo(builder);
        ApplyAttribute(builder, settings, project.BaseDirectory);
        // Every sandboxed test draws from its own seed (the attribute's, else one derived from its name), so its
        // getrandom and /dev/urandom give the same bytes on every run.
        builder.RandomSeed(seed, settings.RandomSeed is null ? Defaults : $"{settings.Source} RandomSeed");
        return builder.Build();
    }

    private static void ApplyAttribute(SandboxPolicyBuilder builder, SandboxSettings settings, string baseDirectory)
    {
        string Source(string property) => $"{settings.Source} {property}";
        var previous = builder.BaseDirectory;
        builder.BaseDirectory = baseDirectory;
        foreach (var path in settings.Read) builder.FsRead(path, Source("Read"));
        foreach (var path in settings.Write) builder.FsWrite(path, Source("Write"));
        foreach (var path in settings.Deny) builder.FsDeny(path, Source("Deny"));
        builder.BaseDirectory = previous;
        foreach (var spec in settings.NetAllow) builder.NetAllow(spec, Source("NetAllow"));
        foreach (var rule in settings.HttpAllow) builder.HttpAllow(rule, Source("HttpAllow"));
        // Determinism and limits reach the policy only when asked for: the core refuses what it cannot enforce yet.
        if (settings.TimeStart is { } start) builder.TimeStart(start, Source("TimeStart"));
        if (settings.DeterministicDirs is true) builder.DeterministicDirs(true, Source("DeterministicDirs"));
        if (settings.MaxMemory is { } memory) builder.MaxMemory(memory, Source("MaxMemory"));
        if (settings.MaxProcesses is { } processes) builder.MaxProcesses(processes, Source("MaxProcesses"));
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
