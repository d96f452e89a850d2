using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>Reads a supervised child's memory and duplicates its fds, for decisions taken on the parent's side.</summary>
internal static unsafe partial class ProcessMemory
{
    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [LibraryImport("libc", EntryPoint = "process_vm_readv", SetLastError = true)]
    private static partial nint ProcessVmReadv(int pid, IoVec* local, ulong localCount, IoVec* remote, ulong remoteCount, ulong flags);

    /// <summary>Copies <paramref name="buffer"/>.Length bytes from <paramref name="address"/> in <paramref name="pid"/>; false if unreadable.</summary>
    public static bool Read(int pid, ulong address, Span<byte> buffer)
    {
        if (buffer.Length == 0) return true;
        fixed (byte* p = buffer)
        {
            var local = new IoVec { Base = p, Length = (nuint)buffer.Length };
            var remote = new IoVec { Base = (void*)address, Length = (nuint)buffer.Length };
            return ProcessVmReadv(pid, &local, 1, &remote, 1, 0) == buffer.Length;
        }
    }

    /// <summary>Reads a NUL-terminated string of at most <paramref name="max"/> bytes; null if unreadable or too long.</summary>
    public static string? ReadString(int pid, ulong address, int max = 4096)
    {
        // Most paths are short: a first read of up to 256 bytes, on the stack, is all a held open usually costs.
        const int FirstRead = 256;
        Span<byte> first = stackalloc byte[FirstRead];
        var firstLength = Math.Min(Math.Min(FirstRead, 4096 - (int)(address % 4096)), max);
        if (!Read(pid, address, first[..firstLength])) return null;
        var end = first[..firstLength].IndexOf((byte)0);
        if (end >= 0) return System.Text.Encoding.UTF8.GetString(first[..end]);

        var buffer = new byte[max];
        first[..firstLength].CopyTo(buffer);
        var got = firstLength;
        // Page by page: a short string near the end of a mapping must not fail because of the bytes after it.
        while (got < max)
        {
            var pageLeft = 4096 - (int)((address + (ulong)got) % 4096);
            var chunk = Math.Min(pageLeft, max - got);
            if (!Read(pid, address + (ulong)got, buffer.AsSpan(got, chunk))) return null;
            var nul = buffer.AsSpan(got, chunk).IndexOf((byte)0);
            if (nul >= 0) return System.Text.Encoding.UTF8.GetString(buffer, 0, got + nul);
            got += chunk;
        }
        return null;
    }

    [LibraryImport("libc", EntryPoint = "process_vm_writev", SetLastError = true)]
    private static partial nint ProcessVmWritev(int pid, IoVec* local, ulong localCount, IoVec* remote, ulong remoteCount, ulong flags);

    /// <summary>Writes <paramref name="data"/> to <paramref name="address"/> in <paramref name="pid"/>; false if not writable.</summary>
    public static bool Write(int pid, ulong address, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var local = new IoVec { Base = p, Length = (nuint)data.Length };
            var remote = new IoVec { Base = (void*)address, Length = (nuint)data.Length };
            return ProcessVmWritev(pid, &local, 1, &remote, 1, 0) == data.Length;
        }
    }

    /// <summary>A pidfd for <paramref name="pid"/>, or -1.</summary>
    public static int OpenPidFd(int pid) => (int)Libc.Syscall(434, pid, 0, 0);

    /// <summary>pidfd_open(PIDFD_THREAD): a pidfd for any thread, not only a group leader (Linux 6.9+).</summary>
    public static int OpenThreadPidFd(int tid) => (int)Libc.Syscall(434, tid, 0x80 /* PIDFD_THREAD = O_EXCL */, 0);

    /// <summary>Duplicates fd <paramref name="targetFd"/> of the process behind <paramref name="pidFd"/> (pidfd_getfd).</summary>
    public static int DuplicateFd(int pidFd, int targetFd) => (int)Libc.Syscall(438, pidFd, targetFd, 0);

    [LibraryImport("libc", EntryPoint = "pread64", SetLastError = true)]
    private static partial nint PRead(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite64", SetLastError = true)]
    private static partial nint PWrite(int fd, byte* buffer, nuint count, long offset);

    /// <summary>
    /// Opens /proc/PID/mem for reading and writing, or returns -1. Unlike process_vm_writev, writes through it reach
    /// read-only mappings (the kernel copies the page for this process, as for a debugger's breakpoint).
    /// </summary>
    public static int OpenMemory(int pid) => Libc.Open($"/proc/{pid}/mem", Libc.O_RDWR | Libc.O_CLOEXEC);

    /// <summary>Reads all of <paramref name="buffer"/> at <paramref name="address"/> of an fd: a /proc/PID/mem fd, or a file.</summary>
    public static bool ReadAt(int memFd, ulong address, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
            return PRead(memFd, p, (nuint)buffer.Length, (long)address) == buffer.Length;
    }

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="address"/> through a /proc/PID/mem fd.</summary>
    public static bool WriteAt(int memFd, ulong address, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
            return PWrite(memFd, p, (nuint)data.Length, (long)address) == data.Length;
    }

    private static readonly int KcmpNumber = SyscallTable.Current["kcmp"];

    /// <summary>Whether two processes share one address space (a vfork child and its parent until the exec): kcmp KCMP_VM.</summary>
    public static bool ShareMemory(int pid, int other) => Libc.Syscall(KcmpNumber, pid, other, 1 /* KCMP_VM */) == 0;

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemfdCreate(string name, uint flags);

}

internal static unsafe partial class DirectoryCalls
{
    [LibraryImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    private static partial nint GetDents64(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(int fd, long offset, int whence);

    public static long Position(SafeHandle fd) => LSeek((int)fd.DangerousGetHandle(), 0, 1 /* SEEK_CUR */);

    public static bool MoveTo(SafeHandle fd, long position) => LSeek((int)fd.DangerousGetHandle(), position, 0 /* SEEK_SET */) == position;

    /// <summary>Every entry of the directory open at <paramref name="fd"/>, read through a fresh open of it.</summary>
    public static List<(ulong Inode, byte Type, byte[] Name)>? ReadAll(SafeHandle fd)
    {
        // A fresh open has its own position, so the child's is left alone.
        var own = Libc.Open($"/proc/self/fd/{(int)fd.DangerousGetHandle()}", Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_DIRECTORY);
        if (own < 0) return null;
        try
        {
            var entries = new List<(ulong, byte, byte[])>();
            var buffer = new byte[64 * 1024];
            fixed (byte* b = buffer)
            {
                while (true)
                {
                    var n = GetDents64(own, b, (nuint)buffer.Length);
                    if (n < 0) return null;
                    if (n == 0) return entries;
                    for (var at = 0; at < n;)
                    {
                        var length = *(ushort*)(b + at + 16);
                        var nameStart = at + 19;
                        var nameEnd = Array.IndexOf(buffer, (byte)0, nameStart);
                        entries.Add((*(ulong*)(b + at), b[at + 18], buffer[nameStart..nameEnd]));
                        at += length;
                    }
                }
            }
        }
        finally
        {
            Libc.Close(own);
        }
    }
}
