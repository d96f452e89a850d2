using Sandlock.Policy;
using Sandlock.Testing.Policy;

namespace Sandlock.Testing;

/// <summary>
/// Whether a chroot holds what a sandboxed test's child host needs, checked before it starts: the child is a .NET
/// process, started by host paths, that reads its request from a temp folder inside the chroot.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ChrootCheck
{
    /// <summary>What the chroot lacks of the runtime, the output folder and procfs, or null.</summary>
    public static string? MissingBeforeStart(ChildRoot root, string outputDirectory)
    {
        if (root.Chroot is not { } dir) return null;
        if (MissingFrom(root, [SystemReadPaths.DotnetHost, outputDirectory]) is { } missing) return missing;
        // A procfs mounted there shows the reader's own process.
        return root.Has("/proc/self") ? null
            : $"the chroot {dir} has no procfs at /proc: the .NET runtime does not start without one and a sandboxed test's host runs inside the chroot; mount one there first (e.g. mount --rbind /proc {dir}/proc)";
    }

    /// <summary>The first absolute path of <paramref name="paths"/> missing inside the chroot, as a message, or null.</summary>
    public static string? MissingFrom(ChildRoot root, IEnumerable<string> paths) =>
        root.Chroot is { } dir && paths.FirstOrDefault(p => Path.IsPathRooted(p) && !root.Has(p)) is { } missing
            ? $"the chroot {dir} has no {missing}: a sandboxed test's host runs inside the chroot and needs the .NET runtime and the test output at the same paths"
            : null;

    public static string NoTemp(ChildRoot root) =>
        $"the chroot {root.Chroot} has no /tmp this test run may write to: a sandboxed test's request and result pass through a folder made there";
}
