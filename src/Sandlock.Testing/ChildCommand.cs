using Sandlock.Testing.Policy;

namespace Sandlock.Testing;

/// <summary>
/// The child's command line: <c>dotnet exec</c> of the child host with the test project's runtimeconfig and
/// deps.json, so the child resolves exactly the assemblies the test itself resolves.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class ChildCommand
{
    public const string HostFileName = "Sandlock.Testing.Host.dll";

    public static string[] For(string testAssemblyPath, string requestPath) => For(testAssemblyPath, [requestPath]);

    /// <summary>The child host with <paramref name="hostArguments"/> (a request file, or the shared mode's socket).</summary>
    public static string[] For(string testAssemblyPath, IReadOnlyList<string> hostArguments)
    {
        var folder = Path.GetDirectoryName(testAssemblyPath)!;
        var stem = Path.Combine(folder, Path.GetFileNameWithoutExtension(testAssemblyPath));
        return [SystemReadPaths.DotnetHost, "exec",
            "--runtimeconfig", stem + ".runtimeconfig.json",
            "--depsfile", stem + ".deps.json",
            FindHost(folder), .. hostArguments];
    }

    private static string FindHost(string testFolder)
    {
        var besideTest = Path.Combine(testFolder, HostFileName);
        if (File.Exists(besideTest)) return besideTest;
        var besideLibrary = Path.Combine(AppContext.BaseDirectory, HostFileName);
        if (File.Exists(besideLibrary)) return besideLibrary;
        throw new SandboxedTestException($"{HostFileName} is missing from {testFolder}: the Sandlock.Testing package's build targets copy it there; was the project built with the package?");
    }
}
