using System.Globalization;
using Sandlock.Confinement;
using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Supervision.Limits;

/// <summary>Per-process limits and hints that make a memory limit fail cleanly inside each program.</summary>
internal static class ProcessLimits
{
    private const int RlimitData = 2, RlimitNproc = 6;

    public static IEnumerable<ResourceLimit> For(SandboxPolicy policy, ProcessCountLimit? processLimit = null)
    {
        // Counts only the sandbox's tasks because the child gets a user namespace of its own with it.
        if (processLimit is { Mechanism: ProcessCountMechanism.UserNamespaceRlimit, Max: var max })
            yield return new ResourceLimit(RlimitNproc, 0, (ulong)max, (ulong)max);
        if (policy.MaxOpenFiles is { } files) yield return new ResourceLimit(Libc.RLIMIT_NOFILE, 0, (ulong)files, (ulong)files);
        if (policy.NoCoredump) yield return new ResourceLimit(Libc.RLIMIT_CORE, 0, 0, 0);
        // Private writable memory: what malloc and a .NET commit use. .NET's PROT_NONE reservations do not count.
        if (policy.MaxMemory is { } memory) yield return new ResourceLimit(RlimitData, 0, (ulong)memory.Bytes, (ulong)memory.Bytes);
    }

    /// <summary>
    /// The .NET GC's hard heap limit at three quarters of the memory limit, leaving room for the runtime itself,
    /// so an oversized allocation throws OutOfMemoryException instead of getting the sandbox killed.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> EnvironmentHints(SandboxPolicy policy)
    {
        if (policy.MaxMemory is not { } memory || policy.Env.ContainsKey("DOTNET_GCHeapHardLimit")) yield break;
        yield return new("DOTNET_GCHeapHardLimit", (memory.Bytes / 4 * 3).ToString("X", CultureInfo.InvariantCulture));
    }
}
