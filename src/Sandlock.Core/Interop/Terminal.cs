using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>
/// Hands the controlling terminal to an interactive sandbox and takes it back. The sandbox runs in its own process
/// group; without this, a command reading the terminal would be stopped by SIGTTIN.
/// </summary>
internal static unsafe partial class Terminal
{
    private const int SIG_BLOCK = 0, SIG_SETMASK = 2, SIGTTOU = 22;

    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "tcgetpgrp")]
    private static partial int TcGetPgrp(int fd);

    [LibraryImport("libc", EntryPoint = "tcsetpgrp")]
    private static partial int TcSetPgrp(int fd, int pgrp);

    [LibraryImport("libc", EntryPoint = "getpgrp")]
    private static partial int GetPgrp();

    [LibraryImport("libc", EntryPoint = "pthread_sigmask")]
    private static partial int PthreadSigmask(int how, ulong* set, ulong* old);

    /// <summary>True when stdin is a terminal whose foreground is our own process group.</summary>
    public static bool WeOwnStdinTerminal() => IsATty(0) == 1 && TcGetPgrp(0) == GetPgrp();

    /// <summary>Makes our group the terminal's foreground again; SIGTTOU is blocked so a background caller is not stopped.</summary>
    public static void Reclaim()
    {
        var set = stackalloc ulong[16];
        var old = stackalloc ulong[16];
        set[0] = 1UL << (SIGTTOU - 1);
        PthreadSigmask(SIG_BLOCK, set, old);
        TcSetPgrp(0, GetPgrp());
        PthreadSigmask(SIG_SETMASK, old, null);
    }
}
