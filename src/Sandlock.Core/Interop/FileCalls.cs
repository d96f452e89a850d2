using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>
/// The *at file calls the supervisor makes on a sandboxed caller's behalf, on fds it opened itself. Each returns
/// its result, or -1 with errno in <see cref="Libc.LastError"/>. Raw syscalls where glibc gained the wrapper late.
/// </summary>
internal static unsafe partial class FileCalls
{
    public const int AtFdCwd = -100, AtEmptyPath = 0x1000, AtSymlinkNofollow = 0x100, AtRemoveDir = 0x200, AtEaccess = 0x200;

    private static readonly int StatAtNumber = SyscallTable.Current["newfstatat"], StatxNumber = SyscallTable.Current["statx"],
        RenameAt2Number = SyscallTable.Current["renameat2"];
    private const int FaccessAt2Number = 439;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5);

    /// <summary>struct stat of the file <paramref name="fd"/> (an O_PATH fd will do) into <paramref name="buffer"/>.</summary>
    public static int Stat(int fd, Span<byte> buffer)
    {
        byte empty = 0;
        fixed (byte* p = buffer)
            return (int)Syscall(StatAtNumber, fd, (long)&empty, (long)p, AtEmptyPath, 0);
    }

    /// <summary>struct statx of the file <paramref name="fd"/> into <paramref name="buffer"/> (256 bytes).</summary>
    public static int Statx(int fd, int syncFlags, uint mask, Span<byte> buffer)
    {
        byte empty = 0;
        fixed (byte* p = buffer)
            return (int)Syscall(StatxNumber, fd, (long)&empty, syncFlags | AtEmptyPath, mask, (long)p);
    }

    public static int Access(int fd, int mode, int flags)
    {
        byte empty = 0;
        return (int)Syscall(FaccessAt2Number, fd, (long)&empty, mode, flags | AtEmptyPath, 0);
    }

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true)]
    private static partial nint ReadLinkAtNative(int dirFd, byte* path, byte* buffer, nuint size);

    /// <summary>The target of the symlink <paramref name="fd"/> (opened O_PATH|O_NOFOLLOW) into <paramref name="buffer"/>.</summary>
    public static int ReadLink(int fd, Span<byte> buffer)
    {
        byte empty = 0;
        fixed (byte* p = buffer)
            return (int)ReadLinkAtNative(fd, &empty, p, (nuint)buffer.Length);
    }

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkdirAt(int dirFd, string name, uint mode);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int UnlinkAt(int dirFd, string name, int flags);

    [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SymlinkAt(string target, int dirFd, string name);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int LinkAt(int oldDirFd, string oldName, int newDirFd, string newName, int flags);

    [LibraryImport("libc", EntryPoint = "fchmodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ChmodAt(int dirFd, string path, uint mode, int flags);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Truncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UtimensAtNative(int dirFd, string path, byte* times, int flags);

    /// <summary>utimensat with the caller's two struct timespec (32 bytes), or null for "now".</summary>
    public static int UtimensAt(int dirFd, string path, ReadOnlySpan<byte> times, int flags)
    {
        fixed (byte* p = times)
            return UtimensAtNative(dirFd, path, times.IsEmpty ? null : p, flags);
    }

    public static int RenameAt2(int oldDirFd, string oldName, int newDirFd, string newName, uint flags)
    {
        var oldBytes = Utf8(oldName);
        var newBytes = Utf8(newName);
        fixed (byte* o = oldBytes)
        fixed (byte* n = newBytes)
            return (int)Syscall(RenameAt2Number, oldDirFd, (long)o, newDirFd, (long)n, flags);
    }

    [LibraryImport("libc", EntryPoint = "getxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetXattrNative(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "listxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ListXattrNative(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatFsNative(string path, byte* buffer);

    /// <summary>getxattr(2); an empty <paramref name="value"/> asks for the size.</summary>
    public static int GetXattr(string path, string name, Span<byte> value)
    {
        fixed (byte* p = value)
            return (int)GetXattrNative(path, name, value.IsEmpty ? null : p, (nuint)value.Length);
    }

    /// <summary>listxattr(2); an empty <paramref name="list"/> asks for the size.</summary>
    public static int ListXattr(string path, Span<byte> list)
    {
        fixed (byte* p = list)
            return (int)ListXattrNative(path, list.IsEmpty ? null : p, (nuint)list.Length);
    }

    /// <summary>struct statfs (120 bytes on x86_64 and aarch64) of the file system holding <paramref name="path"/>.</summary>
    public static int StatFs(string path, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
            return StatFsNative(path, p);
    }

    [LibraryImport("libc", EntryPoint = "setxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetXattrNative(string path, string name, byte* value, nuint size, int flags);

    public static int SetXattr(string path, string name, ReadOnlySpan<byte> value, int flags)
    {
        fixed (byte* p = value)
            return SetXattrNative(path, name, p, (nuint)value.Length, flags);
    }

    [LibraryImport("libc", EntryPoint = "removexattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int RemoveXattr(string path, string name);

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true)]
    private static partial int FchownAtNative(int dirFd, byte* path, uint owner, uint group, int flags);

    /// <summary>chown of the file <paramref name="fd"/> itself (an O_PATH fd will do); -1 as an id leaves it.</summary>
    public static int Chown(int fd, uint owner, uint group)
    {
        byte empty = 0;
        return FchownAtNative(fd, &empty, owner, group, AtEmptyPath);
    }

    [LibraryImport("libc", EntryPoint = "mknodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MknodAt(int dirFd, string name, uint mode, ulong device);

    private static byte[] Utf8(string text)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(text) + 1];
        System.Text.Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
