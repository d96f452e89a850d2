using Sandlock.Interop;

namespace Sandlock.Supervision;

/// <summary>Hands a file the supervisor opened for a held open to the caller, as that open's result.</summary>
internal static class OpenedOnBehalf
{
    /// <summary>Consumes <paramref name="fd"/>: -1 answers with the errno of the failed open.</summary>
    public static SyscallDecision Send(SyscallEvent call, SupervisedSession session, int fd, HeldOpen open)
    {
        if (fd < 0) return SyscallDecision.Deny(Libc.LastError);
        try
        {
            var installed = SeccompNotify.SendFd(session.Listener, call.Id, fd, (open.Flags & Libc.O_CLOEXEC) != 0);
            return installed >= 0 ? SyscallDecision.Done : SyscallDecision.Deny(Libc.LastError);
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
