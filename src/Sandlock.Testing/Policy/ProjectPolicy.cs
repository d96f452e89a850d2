using System.Reflection;

namespace Sandlock.Testing.Policy;

/// <summary>
/// Where the test project keeps its policy: the package's build targets stamp the project's <c>sandlock.toml</c>
/// and folder into the test assembly as <see cref="AssemblyMetadataAttribute"/>s.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed record ProjectPolicy(string? PolicyFile, string BaseDirectory)
{
    public const string PolicyFileKey = "Sandlock.PolicyFile";
    public const string ProjectDirectoryKey = "Sandlock.ProjectDirectory";
    public const string FileName = "sandlock.toml";

    public static ProjectPolicy Of(Assembly testAssembly)
    {
        string? Metadata(string key) => testAssembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value is { Length: > 0 } value ? value : null;
        var stamped = DirectoryOf(testAssembly);
        var folder = stamped ?? Path.GetDirectoryName(testAssembly.Location) ?? Environment.CurrentDirectory;
        return FileForRun(Metadata(PolicyFileKey), stamped, out var file, out var missing)
            ? new ProjectPolicy(file, folder)
            : throw new SandboxedTestException($"{missing} ({testAssembly.GetName().Name})");
    }

    /// <summary>
    /// The policy file a run uses: the one recorded at build time, which must still exist (a file gone since then must
    /// not leave the tests less confined than asked); with none recorded, the project's sandlock.toml if it exists now,
    /// as one added after the build (then <c>dotnet test --no-build</c>) is what the user asked for. False, with
    /// <paramref name="missing"/> saying so, when the recorded file is gone.
    /// </summary>
    public static bool FileForRun(string? recorded, string? projectDirectory, out string? file, out string missing)
    {
        missing = "";
        if (recorded is not null)
        {
            file = recorded;
            if (File.Exists(recorded)) return true;
            missing = $"the policy file {recorded}, recorded at build time (sandlock.toml beside the project or SandlockPolicyFile), does not exist or is not a file";
            return false;
        }
        var beside = projectDirectory is null ? null : Path.Combine(projectDirectory, FileName);
        file = beside is not null && File.Exists(beside) ? beside : null;
        return true;
    }

    /// <summary>The project folder the build stamped into <paramref name="testAssembly"/>, if it did.</summary>
    public static string? DirectoryOf(Assembly? testAssembly) =>
        testAssembly?.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == ProjectDirectoryKey)?.Value is { Length: > 0 } folder
            ? folder : null;
}
