using Sandlock.Interop;
using Sandlock.Policy.Learning;
using Sandlock.Supervision.Network;

namespace Sandlock.Supervision.Learning;

/// <summary>
/// Records every IP destination a run connects or sends to (with its protocol, read from the socket) and every port
/// it binds. Unix sockets follow the filesystem rules and are not recorded here.
/// </summary>
internal sealed class NetworkObserver(RunRecorder recorder) : ObservingHandler(recorder)
{
    public override IReadOnlyCollection<string> Syscalls { get; } = ["connect", "sendto", "bind"];

    protected override void Observe(SyscallEvent call, SupervisedSession session)
    {
        var a = call.Args;
        var (fd, address, length) = call.Name == "sendto" ? ((int)a[0], a[4], a[5]) : ((int)a[0], a[1], a[2]);
        // A send without an address goes where the socket is connected, recorded when it connected.
        if (address == 0 || length < 2) return;
        var bytes = new byte[Math.Min(length, (ulong)SocketAddressBytes.MaxLength)];
        if (!ChildAccess.Read(session, call, address, bytes) || !SocketAddressBytes.TryParse(bytes, out var ip, out var port)) return;
        using var socket = ChildAccess.DuplicateFd(session, call, fd);
        if (socket is null || ProtocolOf(socket) is not { } protocol) return;
        if (call.Name == "bind") Recorder.Bind(new ObservedBind(protocol, port, ProgramOf(call.Pid)));
        else Recorder.Destination(new ObservedDestination(protocol, ip, port, ProgramOf(call.Pid)));
    }

    private static NetProtocol? ProtocolOf(Microsoft.Win32.SafeHandles.SafeFileHandle socket)
    {
        var domain = SocketCalls.Option(socket, SocketCalls.SO_DOMAIN);
        if (domain != SocketCalls.AF_INET && domain != SocketCalls.AF_INET6) return null;
        if (SocketCalls.Option(socket, SocketCalls.SO_TYPE) == SocketCalls.SOCK_STREAM) return NetProtocol.Tcp;
        return SocketCalls.Option(socket, SocketCalls.SO_PROTOCOL) is SocketCalls.IPPROTO_ICMP or SocketCalls.IPPROTO_ICMPV6 ? NetProtocol.Icmp : NetProtocol.Udp;
    }
}
