using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;

namespace Sandlock.Supervision;

/// <summary>
/// Reads a held caller's memory and duplicates its fds. Every access is followed by a check that the notification
/// is still pending, which proves the pid still names the caller (a dead caller's pid could have been reused).
/// </summary>
internal static class ChildAccess
{
    public static SafeFileHandle? DuplicateFd(SupervisedSession session, SyscallEvent call, int fd)
    {
        var pidFd = OpenPidFd(call.Pid);
        if (pidFd < 0) return null;
        try
        {
            var copy = ProcessMemory.DuplicateFd(pidFd, fd);
            if (copy < 0) return null;
            var handle = new SafeFileHandle(copy, ownsHandle: true);
            if (SeccompNotify.IsValid(session.Listener, call.Id)) return handle;
            handle.Dispose();
            return null;
        }
        finally
        {
            Libc.Close(pidFd);
        }
    }

    /// <summary>
    /// The caller is a thread, often not its group's leader (a worker thread connecting or listing a folder); the
    /// threads of a group share one fd table, so the group's pidfd does as well where threads have none.
    /// </summary>
    private static int OpenPidFd(int tid)
    {
        var fd = ProcessMemory.OpenThreadPidFd(tid);
        if (fd >= 0) return fd;
        fd = ProcessMemory.OpenPidFd(tid);
        if (fd >= 0) return fd;
        return Processes.ThreadGroups.Of(tid) is { } tgid && tgid != tid ? ProcessMemory.OpenPidFd(tgid) : -1;
    }

    public static bool Read(SupervisedSession session, SyscallEvent call, ulong address, Span<byte> buffer) =>
        ProcessMemory.Read(call.Pid, address, buffer) && SeccompNotify.IsValid(session.Listener, call.Id);

    public static string? ReadString(SupervisedSession session, SyscallEvent call, ulong address) =>
        ProcessMemory.ReadString(call.Pid, address) is { } text && SeccompNotify.IsValid(session.Listener, call.Id) ? text : null;

    public static bool Write(SupervisedSession session, SyscallEvent call, ulong address, ReadOnlySpan<byte> data)
    {
        call.CallerMemoryWritten();
        return SeccompNotify.IsValid(session.Listener, call.Id) && ProcessMemory.Write(call.Pid, address, data);
    }

    /// <summary>
    /// Writes through /proc/PID/mem, which reaches read-only mappings too (a path the caller passed as a string
    /// literal); the notification is checked once the file is open, so the pid is still the caller's.
    /// </summary>
    public static bool Overwrite(SupervisedSession session, SyscallEvent call, ulong address, ReadOnlySpan<byte> data)
    {
        call.CallerMemoryWritten();
        var memory = ProcessMemory.OpenMemory(call.Pid);
        if (memory < 0) return false;
        try { return SeccompNotify.IsValid(session.Listener, call.Id) && ProcessMemory.WriteAt(memory, address, data); }
        finally { Libc.Close(memory); }
    }
}
