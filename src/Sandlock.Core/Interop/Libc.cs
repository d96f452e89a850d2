using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>The libc calls the parent side needs. Raw fds are ints here; owners wrap them in SafeHandles.</summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CLOEXEC = 0x80000, O_NONBLOCK = 0x800;
    public static readonly int O_PATH = 0x200000, O_DIRECTORY = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
    public static readonly int O_NOFOLLOW = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;
    public const int O_CREAT = 0x40, O_EXCL = 0x80;
    public const int SIGKILL = 9, SIGCONT = 18, SIGSTOP = 19;

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode = 0);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    private const int F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030;

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd, int arg);

    /// <summary>dup with close-on-exec.</summary>
    public static int Dup(int fd) => Fcntl(fd, F_DUPFD_CLOEXEC, 0);

    private const int F_ADD_SEALS = 1033;
    public const int F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8;

    /// <summary>Seals a memfd made with MFD_ALLOW_SEALING; false with errno in <see cref="LastError"/>.</summary>
    public static bool AddSeals(int fd, int seals) => Fcntl(fd, F_ADD_SEALS, seals) >= 0;

    private const int F_SETPIPE_SZ = 1031;

    /// <summary>Asks for a pipe buffer of <paramref name="bytes"/>; false when the kernel refuses (size or per-user limits).</summary>
    public static bool TrySetPipeSize(int fd, int bytes) => Fcntl(fd, F_SETPIPE_SZ, bytes) >= 0;

    public static void SetNonBlocking(int fd)
    {
        var flags = Fcntl(fd, F_GETFL, 0);
        if (flags < 0 || Fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
            throw new IOException($"fcntl O_NONBLOCK failed: {ErrorText(LastError)}");
    }

    [LibraryImport(Lib, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    /// <summary>A close-on-exec pipe, or null (errno in <see cref="LastError"/>).</summary>
    public static (int Read, int Write)? CreatePipe()
    {
        var fds = stackalloc int[2];
        return Pipe2(fds, O_CLOEXEC) == 0 ? (fds[0], fds[1]) : null;
    }

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte* buffer, nuint count);

    /// <summary>One write(2) of <paramref name="data"/>: the bytes written, or -1 with errno in <see cref="LastError"/>.</summary>
    public static nint WriteSome(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data) return Write(fd, p, (nuint)data.Length);
    }

    /// <summary>Writes <paramref name="text"/> to a control file (cgroupfs) in one write; false with errno in <see cref="LastError"/>.</summary>
    public static bool WriteControlFile(string path, string text)
    {
        var fd = Open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) return false;
        var bytes = System.Text.Encoding.ASCII.GetBytes(text);
        nint written;
        fixed (byte* p = bytes) written = Write(fd, p, (nuint)bytes.Length);
        var error = LastError;
        Close(fd);
        Marshal.SetLastPInvokeError(error);
        return written == bytes.Length;
    }

    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    /// <summary>Signals every member of a process group; a group id of 0 or less names no group and is ignored.</summary>
    public static void KillGroup(int processGroup, int signal)
    {
        if (processGroup > 0) Kill(-processGroup, signal);
    }

    [LibraryImport(Lib, EntryPoint = "waitid", SetLastError = true)]
    public static partial int WaitId(int idType, int id, byte* siginfo, int options);

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, ulong count, int timeout);

    /// <summary>True when <paramref name="fd"/> reports a hang-up right now (no waiting).</summary>
    public static bool IsHungUp(int fd)
    {
        var pollFd = new PollFd { Fd = fd, Events = (short)EPOLLIN };
        return Poll(&pollFd, 1, 0) > 0 && (pollFd.Revents & (EPOLLHUP | EPOLLERR)) != 0;
    }

    [LibraryImport(Lib, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Lib, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, byte* ev);

    [LibraryImport(Lib, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initval, int flags);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, long a1, long a2, long a3, long a4 = 0);

    [LibraryImport(Lib, EntryPoint = "strerror")]
    private static partial byte* StrError(int errno);

    public static string ErrorText(int errno) => Marshal.PtrToStringUTF8((nint)StrError(errno)) ?? $"errno {errno}";

    public static int LastError => Marshal.GetLastPInvokeError();

    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLHUP = 0x10, EPOLLERR = 0x8;
    public const int P_PIDFD = 3, WEXITED = 4, WNOHANG = 1, P_PID = 1;
    public const int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;
    public const int RLIMIT_NOFILE = 7, RLIMIT_CORE = 4;

    // struct epoll_event is packed on x86_64 (12 bytes, data at 4) and naturally aligned elsewhere (16 bytes, data at 8).
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    public static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    /// <summary>Closes a raw fd that never reached a SafeHandle.</summary>
    public static void CloseQuietly(int fd)
    {
        if (fd >= 0) Close(fd);
    }
}

internal static unsafe partial class LibcPaths
{
    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial byte* RealPathNative(string path, byte* resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(byte* p);

    /// <summary>The path with every symlink resolved, or null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        var p = RealPathNative(path, null);
        if (p == null) return null;
        try { return Marshal.PtrToStringUTF8((nint)p); }
        finally { Free(p); }
    }
}


internal static unsafe partial class FileIdentity
{
    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, byte* buffer);

    /// <summary>(st_dev, st_ino) of the file <paramref name="path"/> names, following links; null if it is gone.</summary>
    public static (ulong Device, ulong Inode)? Of(string path)
    {
        var buffer = stackalloc byte[256];
        return Stat(path, buffer) == 0 ? Identity(buffer) : null;
    }

    /// <summary>(st_dev, st_ino) of the open file <paramref name="fd"/>; null if it cannot be read.</summary>
    public static (ulong Device, ulong Inode)? Of(int fd)
    {
        Span<byte> buffer = stackalloc byte[256];
        fixed (byte* p = buffer)
            return FileCalls.Stat(fd, buffer) == 0 ? Identity(p) : null;
    }

    /// <summary>
    /// (st_dev, st_ino, st_size, st_ctim) of the open file <paramref name="fd"/>: the same file with the same content
    /// (any write changes st_ctim, which no caller can set back); null if it cannot be read.
    /// </summary>
    public static (ulong Device, ulong Inode, long Size, long ChangedSeconds, long ChangedNanoseconds)? VersionOf(int fd)
    {
        Span<byte> buffer = stackalloc byte[256];
        fixed (byte* p = buffer)
            return FileCalls.Stat(fd, buffer) == 0 ? (*(ulong*)p, *(ulong*)(p + 8), *(long*)(p + 48), *(long*)(p + 104), *(long*)(p + 112)) : null;
    }

    /// <summary>
    /// <see cref="VersionOf(int)"/> of the file <paramref name="path"/> names, following links: a folder's st_ctim
    /// changes whenever an entry is added, removed or renamed in it; null if it is gone.
    /// </summary>
    public static (ulong Device, ulong Inode, long Size, long ChangedSeconds, long ChangedNanoseconds)? VersionOf(string path)
    {
        var p = stackalloc byte[256];
        return Stat(path, p) == 0 ? (*(ulong*)p, *(ulong*)(p + 8), *(long*)(p + 48), *(long*)(p + 104), *(long*)(p + 112)) : null;
    }

    // struct stat begins with st_dev and st_ino as 64-bit fields on x86_64 and aarch64 alike; st_size lies at 48 and
    // st_ctim at 104 in both.
    private static (ulong Device, ulong Inode) Identity(byte* stat) => (*(ulong*)stat, *(ulong*)(stat + 8));
}

internal static unsafe partial class ResolvingOpen
{
    public const ulong ResolveNoMagicLinks = 0x02, ResolveNoSymlinks = 0x04, ResolveBeneath = 0x08, ResolveInRoot = 0x10;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long Openat2(long number, int dirFd, string path, ulong* how, nuint size);

    /// <summary>openat2(2): an fd, or -1 with errno in <see cref="Libc.LastError"/>.</summary>
    public static int OpenAt2(int dirFd, string path, ulong flags, ulong resolve, ulong mode = 0)
    {
        // struct open_how { u64 flags; u64 mode; u64 resolve; }
        var how = stackalloc ulong[3] { flags, mode, resolve };
        return (int)Openat2(437, dirFd, path, how, 24);
    }
}
