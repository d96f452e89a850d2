using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>
/// flock(2) on a raw fd: a lock the kernel drops when its holder dies, however it dies, which is what tells a live
/// owner from a crashed one.
/// </summary>
internal static partial class FileLock
{
    private const int LockExclusive = 2, LockNonBlocking = 4;
    public const int EWOULDBLOCK = 11;

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    /// <summary>Takes an exclusive lock without waiting: false when another open file holds it (errno EWOULDBLOCK).</summary>
    public static bool TryLockExclusive(int fd)
    {
        while (true)
        {
            if (Flock(fd, LockExclusive | LockNonBlocking) == 0) return true;
            if (Libc.LastError != Errno.EINTR) return false;
        }
    }
}
