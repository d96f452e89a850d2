using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Supervision.Network;

/// <summary>
/// Port remapping (<c>--port-remap</c>): each sandbox binds in a virtual port space of its own. A bind is done on
/// the child's behalf on the port it asked for when that is free, else on a free port the kernel picks; the sandbox
/// keeps seeing the port it asked for (getsockname, getpeername), its connects and datagrams to a local address on
/// that port reach the real one (through <see cref="NetworkGate"/>), and each mapping is reported.
/// </summary>
internal sealed class PortRemap(BindRules? tcpBindRules)
{
    private readonly ConditionalWeakTable<SupervisedSession, VirtualPorts> _spaces = new();

    /// <summary>The handlers that hold bind, getsockname and getpeername; connect and sends go through the gate.</summary>
    public IReadOnlyList<SyscallHandler> Handlers => [new RemappedBind(this, tcpBindRules), new RemappedNames(this)];

    internal VirtualPorts SpaceOf(SupervisedSession session) => _spaces.GetValue(session, _ => new VirtualPorts());

    /// <summary>
    /// Points a destination (the supervisor's own copy, already checked against the rules with the virtual port)
    /// at the real port when it names this host on a port the sandbox remapped.
    /// </summary>
    internal void Redirect(SupervisedSession session, NetProtocol protocol, byte[] address)
    {
        var space = SpaceOf(session);
        if (!space.AnyRemapped || !SocketAddressBytes.TryParse(address, out var ip, out var port)) return;
        if (!space.TryGetReal(protocol, port, out var real) || real == port || !LocalAddresses.Contains(ip)) return;
        SocketAddressBytes.SetPort(address, real);
    }

    /// <summary>TCP or UDP for an IP socket whose ports are remapped; null for others (ICMP, raw).</summary>
    internal static NetProtocol? ProtocolOf(SafeFileHandle socket)
    {
        var domain = SocketCalls.Option(socket, SocketCalls.SO_DOMAIN);
        if (domain != SocketCalls.AF_INET && domain != SocketCalls.AF_INET6) return null;
        return SocketCalls.Option(socket, SocketCalls.SO_TYPE) switch
        {
            SocketCalls.SOCK_STREAM => NetProtocol.Tcp,
            SocketCalls.SOCK_DGRAM when SocketCalls.Option(socket, SocketCalls.SO_PROTOCOL) == SocketCalls.IPPROTO_UDP => NetProtocol.Udp,
            _ => null,
        };
    }
}
