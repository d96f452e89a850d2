using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>The calls behind a fork template's control socket and its clones (see docs/fork-protocol.md).</summary>
internal static unsafe partial class ForkCalls
{
    private const int AfUnix = 1, SockSeqPacket = 5, SockCloexec = 0x80000;
    private const int SolSocket = 1, ScmRights = 1, ShutRdWr = 2, MsgCmsgCloexec = 0x40000000;
    private const int WNoWait = 0x01000000;
    private const long SysPidFdOpen = 434, SysPidFdSendSignal = 424;
    // struct cmsghdr (size_t len; int level; int type) then one int, padded to 8: CMSG_SPACE(sizeof(int)) on 64-bit.
    private const int CmsgHeader = 16, CmsgSpaceOneFd = 24;

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    private static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(int socket, SocketCalls.MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    private static partial int Shutdown(int socket, int how);

    [LibraryImport("libc", EntryPoint = "setpgid", SetLastError = true)]
    public static partial int SetProcessGroup(int pid, int processGroup);

    [LibraryImport("libc", EntryPoint = "getpgid", SetLastError = true)]
    public static partial int ProcessGroupOf(int pid);

    /// <summary>A message-preserving, close-on-exec socket pair: (ours, the template's).</summary>
    public static (int Ours, int Theirs)? SeqPacketPair()
    {
        var fds = stackalloc int[2];
        return SocketPair(AfUnix, SockSeqPacket | SockCloexec, 0, fds) == 0 ? (fds[0], fds[1]) : null;
    }

    /// <summary>Sends one message carrying <paramref name="fd"/> (SCM_RIGHTS); false with errno in <see cref="Libc.LastError"/>.</summary>
    public static bool SendWithFd(int socket, ReadOnlySpan<byte> message, int fd)
    {
        var control = stackalloc byte[CmsgSpaceOneFd];
        new Span<byte>(control, CmsgSpaceOneFd).Clear();
        *(nuint*)control = (nuint)(CmsgHeader + sizeof(int));
        *(int*)(control + 8) = SolSocket;
        *(int*)(control + 12) = ScmRights;
        *(int*)(control + CmsgHeader) = fd;
        fixed (byte* data = message)
        {
            var iov = new SocketCalls.IoVec { Base = data, Length = (nuint)message.Length };
            var header = new SocketCalls.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = CmsgSpaceOneFd };
            while (true)
            {
                var sent = SocketCalls.SendMsg(socket, &header, 0);
                if (sent == message.Length) return true;
                if (sent < 0 && Libc.LastError == Errno.EINTR) continue;
                return false;
            }
        }
    }

    /// <summary>
    /// Receives one message (blocking): its length, 0 at EOF, -1 on error. An fd sent along is closed unread: the
    /// template has no business sending us any.
    /// </summary>
    public static int Receive(int socket, Span<byte> buffer)
    {
        var control = stackalloc byte[64];
        fixed (byte* data = buffer)
        {
            var iov = new SocketCalls.IoVec { Base = data, Length = (nuint)buffer.Length };
            var header = new SocketCalls.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 64 };
            nint n;
            do n = RecvMsg(socket, &header, MsgCmsgCloexec); while (n < 0 && Libc.LastError == Errno.EINTR);
            for (var offset = 0; offset + CmsgHeader <= (int)header.ControlLength;)
            {
                var length = (int)*(nuint*)(control + offset);
                if (length < CmsgHeader) break;
                if (*(int*)(control + offset + 8) == SolSocket && *(int*)(control + offset + 12) == ScmRights)
                    for (var at = CmsgHeader; at + sizeof(int) <= length; at += sizeof(int)) Libc.CloseQuietly(*(int*)(control + offset + at));
                offset += (length + 7) & ~7;
            }
            return (int)n;
        }
    }

    /// <summary>Wakes a blocked <see cref="Receive"/> with EOF.</summary>
    public static void ShutDown(int socket) => Shutdown(socket, ShutRdWr);

    public static int PidFdOpen(int pid) => (int)Libc.Syscall(SysPidFdOpen, pid, 0, 0);

    /// <summary>True when the pidfd names a child of this process (waitid sees it, without reaping it).</summary>
    public static bool IsOurChild(int pidFd)
    {
        var info = stackalloc byte[128];
        return Libc.WaitId(Libc.P_PIDFD, pidFd, info, Libc.WEXITED | Libc.WNOHANG | WNoWait) == 0;
    }

    /// <summary>Signals the process behind a pidfd: no pid reuse can redirect it.</summary>
    public static void Signal(int pidFd, int signal) => Libc.Syscall(SysPidFdSendSignal, pidFd, signal, 0);
}
