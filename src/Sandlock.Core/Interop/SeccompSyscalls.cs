namespace Sandlock.Interop;

/// <summary>The seccomp(2) operations sandlock asks of its own process (filters are installed by the native shim).</summary>
internal static unsafe class SeccompSyscalls
{
    private const long GetActionAvail = 2;

    public const uint RetErrno = 0x0005_0000, RetUserNotif = 0x7fc0_0000;

    /// <summary>Whether the kernel supports a filter action; null when it cannot say (seccomp itself is refused).</summary>
    public static bool? ActionAvailable(uint action)
    {
        if (!SyscallTable.Current.TryGetNumber("seccomp", out var number)) return null;
        var result = Libc.Syscall(number, GetActionAvail, 0, (long)&action);
        if (result == 0) return true;
        // EOPNOTSUPP: a kernel that knows the operation but not this action.
        return Libc.LastError == Errno.EOPNOTSUPP ? false : null;
    }
}
