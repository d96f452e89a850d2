using System.Buffers.Binary;
using System.Net;
using Sandlock.Interop;
using Sandlock.Supervision.Network;

namespace Sandlock.Supervision.Http;

/// <summary>
/// getpeername of a socket the proxy holds: the sandbox sees the address it connected to, not the proxy's. Every
/// other socket continues in the kernel (or to the next handler).
/// </summary>
internal sealed class InterceptedPeerNames : SyscallHandler
{
    public override IReadOnlyCollection<string> Syscalls { get; } = ["getpeername"];

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session) =>
        ValueTask.FromResult(Handle(call, session));

    private static SyscallDecision Handle(SyscallEvent call, SupervisedSession session)
    {
        if (HttpInterception.StartedProxy(session) is not { } proxy) return SyscallDecision.Allow;
        using var socket = ChildAccess.DuplicateFd(session, call, (int)call.Args[0]);
        if (socket is null) return SyscallDecision.Allow;
        var peer = SocketCalls.PeerAddress(socket, out _);
        if (peer is null || !SocketAddressBytes.TryParse(peer, out var peerIp, out var peerPort) || peerPort != proxy.Port || !IPAddress.IsLoopback(peerIp))
            return SyscallDecision.Allow;
        if (SocketCalls.LocalAddress(socket, out _) is not { } local || !SocketAddressBytes.TryParse(local, out var ip, out var port)
            || proxy.DestinationOf(new IPEndPoint(ip, port)) is not { } meant)
            return SyscallDecision.Allow;

        var name = (byte[])peer.Clone();
        SocketAddressBytes.SetPort(name, meant.Port);
        if (BinaryPrimitives.ReadUInt16LittleEndian(name) == SocketCalls.AF_INET6)
            (meant.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? meant.Address.MapToIPv6() : meant.Address).GetAddressBytes().CopyTo(name, 8);
        else
            meant.Address.GetAddressBytes().CopyTo(name, 4);

        return SocketNameReply.Write(session, call, name);
    }
}
