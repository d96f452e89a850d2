namespace Sandlock.Interop;

/// <summary>Reaping children and reading their pipes, without unsafe code outside this layer.</summary>
internal static unsafe class ChildProcess
{
    /// <summary>Reaps the child behind a pidfd if it has exited: (si_code, si_status); null while it runs.</summary>
    public static (int Code, int Status)? TryReap(int pidFd)
    {
        var info = stackalloc byte[128];
        var r = Libc.WaitId(Libc.P_PIDFD, pidFd, info, Libc.WEXITED | Libc.WNOHANG);
        if (r == 0 && *(int*)(info + 16) == 0) return null;
        // ECHILD: someone else reaped it; its status is lost, which reads as neither a code nor a signal.
        return r == 0 ? (*(int*)(info + 8), *(int*)(info + 24)) : (0, 0);
    }

    /// <summary>Reaps a child known to have exited (a failed spawn).</summary>
    public static void Reap(int pid)
    {
        if (pid <= 0) return;
        var info = stackalloc byte[128];
        Libc.WaitId(Libc.P_PID, pid, info, Libc.WEXITED);
    }

    /// <summary>Reads from a non-blocking fd: bytes read, 0 at EOF, -1 when nothing is there now (EAGAIN).</summary>
    public static int Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Libc.Read(fd, p, (nuint)buffer.Length);
                if (n >= 0) return (int)n;
                var errno = Libc.LastError;
                if (errno == Errno.EINTR) continue;
                return errno == Errno.EAGAIN ? -1 : 0;
            }
        }
    }
}
