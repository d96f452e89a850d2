using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>The calling thread's capability bounding set (per thread: creds are, and fork copies the thread's).</summary>
internal static unsafe partial class ThreadCapabilities
{
    private const int PR_CAPBSET_READ = 23, PR_CAPBSET_DROP = 24;
    private const int CapSetpcap = 8;
    private const uint CapabilityVersion3 = 0x20080522;

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static partial int CapGet(uint* header, uint* data);

    /// <summary>
    /// Empties the calling thread's bounding set when it may (CAP_SETPCAP in effect), so that children forked from
    /// it start with none and need not drop 41 capabilities one credential commit at a time (~70 us a spawn as
    /// root); the thread's own effective and permitted sets stay. Only for a thread that never starts anything but
    /// sandboxes. False when nothing could be dropped; the shim then drops in the child as before.
    /// </summary>
    public static bool DropBoundingSet()
    {
        var header = stackalloc uint[2] { CapabilityVersion3, 0 };
        var data = stackalloc uint[6];
        if (CapGet(header, data) != 0 || (data[0] & (1u << CapSetpcap)) == 0) return false;
        for (nuint cap = 0; cap < 64; cap++)
        {
            if (Prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) break; // past the kernel's last capability
            if (Prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return false;
        }
        return true;
    }
}
