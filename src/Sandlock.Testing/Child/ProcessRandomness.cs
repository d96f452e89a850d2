using Sandlock.Testing.Interop;

namespace Sandlock.Testing.Child;

/// <summary>
/// In a shared child, what the supervisor cannot restart for the next test: the .NET runtime draws Guids and
/// random seeds from /dev/urandom through one fd it keeps open (the supervisor's seeded device), XORed with lrand48,
/// seeded once per process. The device is read from its start again and lrand48 is seeded from the test's seed, so
/// each test's Guid.NewGuid() sequence repeats run after run and differs between tests.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ProcessRandomness
{
    // The supervisor's memfd behind /dev/urandom (VirtualFileRedirect names it sandlock-NAME).
    private const string SeededDevice = "memfd:sandlock-dev-urandom";

    public static void Restart(ulong seed)
    {
        foreach (var link in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try { target = new FileInfo(link).LinkTarget; }
            catch (IOException) { continue; }
            if (target is not null && target.Contains(SeededDevice, StringComparison.Ordinal) && int.TryParse(Path.GetFileName(link), out var fd))
                _ = ChildLibc.Lseek(fd, 0, ChildLibc.SeekSet);
        }
        ChildLibc.Srand48((nint)(long)(seed ^ (seed >> 32)));
    }
}
