using System.Buffers.Binary;
using Sandlock.Interop;

namespace Sandlock.Supervision.Network;

/// <summary>Answers a held getsockname or getpeername with an address of the supervisor's choosing.</summary>
internal static class SocketNameReply
{
    /// <summary>As the kernel: copies at most *addrlen bytes of <paramref name="name"/>, then stores its full length in *addrlen.</summary>
    public static SyscallDecision Write(SupervisedSession session, SyscallEvent call, byte[] name)
    {
        var lengthBytes = new byte[4];
        if (!ChildAccess.Read(session, call, call.Args[2], lengthBytes)) return SyscallDecision.Deny(Errno.EFAULT);
        var room = BinaryPrimitives.ReadInt32LittleEndian(lengthBytes);
        if (room < 0) return SyscallDecision.Deny(Errno.EINVAL);
        var copied = Math.Min(room, name.Length);
        if (copied > 0 && !ChildAccess.Write(session, call, call.Args[1], name.AsSpan(0, copied))) return SyscallDecision.Deny(Errno.EFAULT);
        BinaryPrimitives.WriteInt32LittleEndian(lengthBytes, name.Length);
        return ChildAccess.Write(session, call, call.Args[2], lengthBytes) ? SyscallDecision.Result(0) : SyscallDecision.Deny(Errno.EFAULT);
    }
}
