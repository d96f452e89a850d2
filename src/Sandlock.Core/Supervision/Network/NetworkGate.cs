using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Supervision.Network;

/// <summary>
/// Checks the destinations of IP sockets' connects and sends against the network rules; allowed ones are made on the
/// child's behalf (<see cref="SocketGate{TKind}"/>). Other sockets pass through: unix ones are
/// <see cref="UnixSocketPaths"/>' or Landlock's. With port remapping, a destination is checked with the port the
/// sandbox named and then sent to the real port behind it.
/// </summary>
internal sealed class NetworkGate(NetworkRules rules, INetworkVeto? veto = null, PortRemap? ports = null, Http.HttpInterception? http = null) : SocketGate<NetProtocol>
{
    private const int MsgFastOpen = 0x20000000;

    // Rule sets a live session applied after these rules: a destination must pass each (see LocalSandboxBackend).
    private volatile NetworkRules[] _narrowedBy = [];
    private readonly Lock _narrowing = new();

    /// <summary>From now on a destination must also pass <paramref name="rules"/>: running commands are only ever narrowed.</summary>
    internal void Narrow(NetworkRules rules)
    {
        lock (_narrowing) _narrowedBy = [.. _narrowedBy, rules];
    }

    private bool AllowedByNarrowing(NetProtocol protocol, System.Net.IPAddress ip, ushort port, ref string reason)
    {
        foreach (var rules in _narrowedBy)
        {
            if (rules.Allows(protocol, ip, port, out var why)) continue;
            reason = $"{why} (in the session's newer network policy)";
            return false;
        }
        return true;
    }

    protected override NetProtocol? Gates(SafeFileHandle socket)
    {
        var domain = SocketCalls.Option(socket, SocketCalls.SO_DOMAIN);
        if (domain != SocketCalls.AF_INET && domain != SocketCalls.AF_INET6) return null;
        if (SocketCalls.Option(socket, SocketCalls.SO_TYPE) == SocketCalls.SOCK_STREAM) return NetProtocol.Tcp;
        var proto = SocketCalls.Option(socket, SocketCalls.SO_PROTOCOL);
        return proto is SocketCalls.IPPROTO_ICMP or SocketCalls.IPPROTO_ICMPV6 ? NetProtocol.Icmp : NetProtocol.Udp;
    }

    // No address: a connected socket, checked when it connected. TCP ignores the address unless it is a fast-open
    // connect; both facts come from registers and the socket, not from memory the child can change.
    protected override bool Continues(SyscallEvent call, NetProtocol protocol) => call.Name switch
    {
        "connect" => false,
        "sendto" => call.Args[4] == 0 || (protocol == NetProtocol.Tcp && ((int)call.Args[3] & MsgFastOpen) == 0),
        "sendmsg" => protocol == NetProtocol.Tcp && ((int)call.Args[2] & MsgFastOpen) == 0,
        _ => protocol == NetProtocol.Tcp && ((int)call.Args[3] & MsgFastOpen) == 0,
    };

    protected override Destination? Check(SyscallEvent call, SupervisedSession session, NetProtocol protocol, byte[] address, out int errno)
    {
        errno = Errno.EACCES;
        // A message without an address goes where the socket is connected; AF_UNSPEC disconnects.
        if (address.Length == 0 || (call.Name == "connect" && SocketAddressBytes.IsUnspecified(address))) return new Destination(address);
        if (!SocketAddressBytes.TryParse(address, out var ip, out var port))
        {
            session.Deny(new Denial(call.Name, "unparsable address", call.Pid, "refused"));
            return null;
        }
        if (!rules.Allows(protocol, ip, port, out var reason) || !AllowedByNarrowing(protocol, ip, port, ref reason) || (veto is not null && !veto.Allows(call, session, protocol, ip, port, out reason)))
        {
            var shown = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]:{port}" : $"{ip}:{port}";
            session.Deny(new Denial(call.Name, $"{protocol.ToString().ToLowerInvariant()} {shown}", call.Pid, reason));
            return null;
        }
        // Every TCP connect to an HTTP port goes to the sandbox's proxy, which applies the HTTP rules.
        if (http is not null && protocol == NetProtocol.Tcp && http.Intercepts(port))
        {
            if (call.Name != "connect")
            {
                errno = Errno.EOPNOTSUPP;
                session.Deny(new Denial(call.Name, $"tcp {ip}:{port}", call.Pid, "TCP fast open to an HTTP port cannot go through the HTTP proxy"));
                return null;
            }
            var proxy = http.ProxyFor(session);
            var (meant, meantPort, pid) = (ip, port, call.Pid);
            return new Destination(proxy.AddressFor(address), Connected: socket => proxy.Expect(socket, meant, meantPort, pid));
        }
        ports?.Redirect(session, protocol, address);
        return new Destination(address);
    }
}
