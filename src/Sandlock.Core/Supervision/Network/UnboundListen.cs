using System.Net.Sockets;
using Sandlock.Interop;

namespace Sandlock.Supervision.Network;

/// <summary>
/// Refuses listen() on a TCP socket that was never bound. The kernel then binds it to an ephemeral port on every
/// address, a bind Landlock never sees; binding port 0 explicitly is refused by Landlock and by the remapped bind,
/// since no bind rule can list it, so this is the same rule. The listen is done on the supervisor's duplicate of
/// the socket, so swapping the fd number after the check changes nothing.
/// </summary>
internal sealed class UnboundListen : SyscallHandler
{

    public override IReadOnlyCollection<string> Syscalls { get; } = ["listen"];

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session) =>
        ValueTask.FromResult(Handle(call, session));

    private static SyscallDecision Handle(SyscallEvent call, SupervisedSession session)
    {
        using var socket = ChildAccess.DuplicateFd(session, call, (int)call.Args[0]);
        if (socket is null) return SyscallDecision.Deny(Errno.EBADF);
        // Unix sockets autobind in the abstract namespace, which Landlock's scope confines; UDP does not listen.
        if (PortRemap.ProtocolOf(socket) != NetProtocol.Tcp) return SyscallDecision.Allow;
        if (SocketCalls.LocalAddress(socket, out var errno) is not { } local) return SyscallDecision.Deny(errno);
        if (SocketAddressBytes.TryParse(local, out var address, out var port) && port == 0)
        {
            var any = address.AddressFamily == AddressFamily.InterNetworkV6 ? "[::]:0" : "0.0.0.0:0";
            session.Deny(new Denial("listen", $"tcp {any} (never bound)", call.Pid,
                "listening on an unbound socket binds an ephemeral port, which no --net-allow-bind rule can list; bind an allowed port first"));
            return SyscallDecision.Deny(Errno.EACCES);
        }
        // A signed int, as the kernel reads it: a negative backlog means the maximum.
        var errnoOfListen = SocketCalls.Listen(socket, unchecked((int)call.Args[1]));
        return errnoOfListen == 0 ? SyscallDecision.Result(0) : SyscallDecision.Deny(errnoOfListen);
    }
}
