using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>
/// Copies a file's bytes between two open fds in the kernel: a reflink (FICLONE) where the filesystem shares
/// extents, else copy_file_range, which never passes the data through this process.
/// </summary>
internal static unsafe partial class FileCopy
{
    private const ulong Ficlone = 0x40049409;
    private const int FlockShared = 1, FlockExclusive = 2, FlockUnlock = 8;

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, ulong request, nint argument);

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    private static partial nint CopyFileRange(int fdIn, long* offIn, int fdOut, long* offOut, nuint length, uint flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    public static partial int Fchmod(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int Futimens(int fd, byte* times);

    /// <summary>0, or -errno.</summary>
    public static int Copy(int from, int to, long length)
    {
        if (Ioctl(to, Ficlone, from) == 0) return 0;
        long copied = 0;
        while (copied < length)
        {
            var n = CopyFileRange(from, null, to, null, (nuint)Math.Min(length - copied, 1L << 30), 0);
            if (n < 0)
            {
                if (Libc.LastError == Errno.EINTR) continue;
                return -Libc.LastError;
            }
            if (n == 0) break;  // the source shrank meanwhile
            copied += n;
        }
        return 0;
    }

    /// <summary>Waits for an exclusive (or shared) flock on <paramref name="fd"/>; false with errno on failure.</summary>
    public static bool Lock(int fd, bool exclusive = true)
    {
        while (true)
        {
            if (Flock(fd, exclusive ? FlockExclusive : FlockShared) == 0) return true;
            if (Libc.LastError != Errno.EINTR) return false;
        }
    }

    public static void Unlock(int fd) => Flock(fd, FlockUnlock);

    /// <summary>Sets access and modification times (seconds, nanoseconds) on an open file.</summary>
    public static int SetTimes(int fd, (long Seconds, long Nanoseconds) accessed, (long Seconds, long Nanoseconds) modified)
    {
        Span<byte> times = stackalloc byte[32];
        BinaryPrimitives.WriteInt64LittleEndian(times, accessed.Seconds);
        BinaryPrimitives.WriteInt64LittleEndian(times[8..], accessed.Nanoseconds);
        BinaryPrimitives.WriteInt64LittleEndian(times[16..], modified.Seconds);
        BinaryPrimitives.WriteInt64LittleEndian(times[24..], modified.Nanoseconds);
        fixed (byte* p = times) return Futimens(fd, p);
    }
}

/// <summary>The fields of struct statx the copy-on-write layer reads (same layout on every architecture).</summary>
internal readonly record struct FileStatus(uint Mode, ulong Size, ulong Inode, ulong Device, uint Links,
    (long Seconds, long Nanoseconds) Accessed, (long Seconds, long Nanoseconds) Modified)
{
    public const uint TypeMask = 0xF000, Directory = 0x4000, Regular = 0x8000, Symlink = 0xA000;

    public bool IsDirectory => (Mode & TypeMask) == Directory;
    public bool IsRegular => (Mode & TypeMask) == Regular;
    public bool IsSymlink => (Mode & TypeMask) == Symlink;
    public uint Permissions => Mode & 0xFFF;

    /// <summary>The status of <paramref name="fd"/> (an O_PATH fd will do); null with errno on failure.</summary>
    public static FileStatus? Of(int fd)
    {
        Span<byte> b = stackalloc byte[256];
        if (FileCalls.Statx(fd, 0, 0xFFF /* STATX_BASIC_STATS */, b) < 0) return null;
        return new FileStatus(
            BinaryPrimitives.ReadUInt16LittleEndian(b[0x1C..]),
            BinaryPrimitives.ReadUInt64LittleEndian(b[0x28..]),
            BinaryPrimitives.ReadUInt64LittleEndian(b[0x20..]),
            ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(b[0x88..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(b[0x8C..]),
            BinaryPrimitives.ReadUInt32LittleEndian(b[0x10..]),
            (BinaryPrimitives.ReadInt64LittleEndian(b[0x40..]), BinaryPrimitives.ReadUInt32LittleEndian(b[0x48..])),
            (BinaryPrimitives.ReadInt64LittleEndian(b[0x70..]), BinaryPrimitives.ReadUInt32LittleEndian(b[0x78..])));
    }
}
