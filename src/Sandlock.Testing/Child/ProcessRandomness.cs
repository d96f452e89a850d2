using Sandlock.Testing.Interop;

namespace Sandlock.Testing.Child;

/// <summary>
/// In a shared child, what the supervisor cannot restart for the next test by itself: the .NET runtime draws Guids
/// from /dev/urandom through one fd it keeps open (the supervisor's seeded device). Once the supervisor serves the
/// test's seed, that fd is replaced by a fresh open of the device, and lrand48 (which C code seeds from time) is seeded
/// from the test's seed, so each test's Guid.NewGuid() sequence repeats run after run and differs between tests.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ProcessRandomness
{
    // The supervisor's memfd behind /dev/urandom (VirtualFileRedirect names it sandlock-NAME).
    private const string SeededDevice = "memfd:sandlock-dev-urandom";

    // The fds holding the seeded device, found at the first test: the runtime opened its one before any test (the child
    // host draws a Guid first), and they keep their numbers (each restart dup3s onto them). Listing /proc/self/fd costs
    // milliseconds under the /proc view, a link read per fd, and finds nothing where the runtime uses getrandom.
    private static int[]? s_seededFds;

    public static void Restart(ulong seed)
    {
        s_seededFds ??= SeededDeviceFds();
        foreach (var fd in s_seededFds)
        {
            using var fresh = File.OpenHandle("/dev/urandom");
            if (ChildLibc.Dup3((int)fresh.DangerousGetHandle(), fd, ChildLibc.CloseOnExec) < 0)
                throw new IOException($"cannot replace fd {fd} (the seeded /dev/urandom) for the next test: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
        ChildLibc.Srand48((nint)(long)(seed ^ (seed >> 32)));
    }

    private static int[] SeededDeviceFds()
    {
        var found = new List<int>();
        // Listed first: the opens of a restart add entries.
        foreach (var link in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try { target = new FileInfo(link).LinkTarget; }
            catch (IOException) { continue; }
            if (target is not null && target.Contains(SeededDevice, StringComparison.Ordinal) && int.TryParse(Path.GetFileName(link), out var fd)) found.Add(fd);
        }
        return [.. found];
    }
}
