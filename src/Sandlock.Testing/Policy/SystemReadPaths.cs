using System.Runtime.InteropServices;
using Sandlock.Policy;

namespace Sandlock.Testing.Policy;

/// <summary>What "read the system" means for a test: the OS, kernel views a .NET process needs, and the .NET install.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class SystemReadPaths
{
    /// <summary>The folder holding the <c>dotnet</c> host and <c>shared/</c>, found from the running runtime.</summary>
    public static string DotnetRoot { get; } = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    /// <summary>The <c>dotnet</c> host that starts child processes.</summary>
    public static string DotnetHost { get; } = Path.Combine(DotnetRoot, "dotnet");

}
