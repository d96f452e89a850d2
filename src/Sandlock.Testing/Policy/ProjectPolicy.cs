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

    public static ProjectPolicy Of(Assembly testAssembly)
    {
        string? Metadata(string key) => testAssembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value is { Length: > 0 } value ? value : null;
        var folder = DirectoryOf(testAssembly) ?? Path.GetDirectoryName(testAssembly.Location) ?? Environment.CurrentDirectory;
        var file = Metadata(PolicyFileKey);
        // Recorded at build time: a file gone since then must not leave the tests less confined than asked.
        if (file is not null && !File.Exists(file))
            throw new SandboxedTestException($"the policy file {file}, recorded when {testAssembly.GetName().Name} was built (sandlock.toml beside the project or SandlockPolicyFile), does not exist or is not a file");
        return new ProjectPolicy(file, folder);
    }

    /// <summary>The project folder the build stamped into <paramref name="testAssembly"/>, if it did.</summary>
    public static string? DirectoryOf(Assembly? testAssembly) =>
        testAssembly?.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == ProjectDirectoryKey)?.Value is { Length: > 0 } folder
            ? folder : null;
}
