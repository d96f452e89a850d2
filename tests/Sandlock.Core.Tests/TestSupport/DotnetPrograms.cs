using System.Runtime.InteropServices;
using Sandlock.Policy;

namespace Sandlock.Tests.TestSupport;

/// <summary>Runs tests/Sandlock.TestPrograms with the dotnet host, and what a .NET program needs to read.</summary>
public static class DotnetPrograms
{
    /// <summary>artifacts/bin/Sandlock.TestPrograms/CONFIG/Sandlock.TestPrograms.dll beside this project's output.</summary>
    public static string Assembly { get; } = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "Sandlock.TestPrograms",
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Name, "Sandlock.TestPrograms.dll"));

    /// <summary>The dotnet root: shared/Microsoft.NETCore.App/VERSION/ is three levels below it.</summary>
    public static string Root { get; } = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    public static string Host => Path.Combine(Root, "dotnet");

    /// <summary>The system, /proc (the runtime needs it), the dotnet root and the program's folder.</summary>
    public static SandboxPolicyBuilder Policy() =>
        Sandboxed.SystemOnly().FsRead("/proc").FsRead(Root).FsRead(Path.GetDirectoryName(Assembly)!);

    public static string[] Command(params string[] args) => [Host, "exec", Assembly, .. args];
}
