using System.Buffers.Binary;
using Sandlock.Interop;

namespace Sandlock.Supervision.Network;

/// <summary>
/// getsockname and getpeername of a sandbox with remapped ports: a real port that stands for a virtual one is shown
/// as the virtual port, so the sandbox sees the ports it asked for. Everything else continues in the kernel.
/// </summary>
internal sealed class RemappedNames(PortRemap remap) : SyscallHandler
{

    public override IReadOnlyCollection<string> Syscalls { get; } = ["getsockname", "getpeername"];

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session) =>
        ValueTask.FromResult(Handle(call, session));

    private SyscallDecision Handle(SyscallEvent call, SupervisedSession session)
    {
        // Continuing is safe here: the kernel answers with the real port, which is no secret (it is reported).
        var space = remap.SpaceOf(session);
        if (!space.AnyRemapped) return SyscallDecision.Allow;
        using var socket = ChildAccess.DuplicateFd(session, call, (int)call.Args[0]);
        if (socket is null || PortRemap.ProtocolOf(socket) is not { } protocol) return SyscallDecision.Allow;
        var peer = call.Name == "getpeername";
        var name = peer ? SocketCalls.PeerAddress(socket, out _) : SocketCalls.LocalAddress(socket, out _);
        if (name is null || !SocketAddressBytes.TryParse(name, out var ip, out var real)) return SyscallDecision.Allow;
        if (!space.TryGetVirtual(protocol, real, out var virtualPort) || (peer && !LocalAddresses.Contains(ip))) return SyscallDecision.Allow;
        SocketAddressBytes.SetPort(name, virtualPort);

        return SocketNameReply.Write(session, call, name);
    }
}
