using Sandlock.Testing.Interop;

namespace Sandlock.Testing.Child;

/// <summary>
/// In a shared child, what the supervisor cannot restart for the next test by itself: lrand48, which C code seeds
/// from time, is seeded from the test's seed. (The .NET runtime draws Guids from /dev/urandom through one fd it keeps
/// open: the supervisor renews that copy of its seeded device in place as the test starts, see Core's JobStarts.)
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ProcessRandomness
{
    public static void Restart(ulong seed) => ChildLibc.Srand48((nint)(long)(seed ^ (seed >> 32)));
}
