using System.Globalization;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Supervision.Network;

/// <summary>
/// Binds TCP and UDP sockets on the child's behalf, on a duplicate of its socket with the supervisor's own copy of
/// the address. The supervisor is not confined by Landlock, so it checks the policy's TCP bind ports itself, on the
/// virtual port, and refuses a privileged port the caller could not bind itself.
/// </summary>
internal sealed class RemappedBind(PortRemap remap, BindRules? tcpRules) : SyscallHandler
{
    private const int MaxAddressLength = 128;
    private const int CapNetBindService = 10;

    private readonly int _unprivilegedPortStart = ReadUnprivilegedPortStart();

    public override IReadOnlyCollection<string> Syscalls { get; } = ["bind"];

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session) =>
        ValueTask.FromResult(Handle(call, session));

    private SyscallDecision Handle(SyscallEvent call, SupervisedSession session)
    {
        using var socket = ChildAccess.DuplicateFd(session, call, (int)call.Args[0]);
        if (socket is null) return SyscallDecision.Deny(Errno.EBADF);
        // Unix sockets are Landlock's; ICMP and raw sockets have no ports to remap.
        if (PortRemap.ProtocolOf(socket) is not { } protocol) return SyscallDecision.Allow;
        if (call.Args[2] is < 2 or > MaxAddressLength) return SyscallDecision.Deny(Errno.EINVAL);
        var address = new byte[call.Args[2]];
        if (!ChildAccess.Read(session, call, call.Args[1], address)) return SyscallDecision.Deny(Errno.EFAULT);
        // Fail closed on what cannot be parsed: the kernel would read a port from it (AF_UNSPEC on IPv4).
        if (!SocketAddressBytes.TryParse(address, out var ip, out var port)) return SyscallDecision.Deny(Errno.EAFNOSUPPORT);

        if (protocol == NetProtocol.Tcp && tcpRules is not null && !tcpRules.Allows(port, out var reason))
        {
            var shown = ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]:{port}" : $"{ip}:{port}";
            session.Deny(new Denial("bind", $"tcp {shown}", call.Pid, reason));
            return SyscallDecision.Deny(Errno.EACCES);
        }
        // The supervisor's own privileges must not lend the child a port below the unprivileged range.
        if (port != 0 && port < _unprivilegedPortStart && !MayBindPrivilegedPorts(call, session)) return SyscallDecision.Deny(Errno.EACCES);
        if (port == 0) return Answer(SocketCalls.Bind(socket, address));

        var space = remap.SpaceOf(session);
        ushort real;
        lock (space.Gate)
        {
            // A virtual port bound before keeps its real port: binding it again behaves as binding a port twice.
            if (space.TryGetReal(protocol, port, out var known))
            {
                SocketAddressBytes.SetPort(address, known);
                return Answer(SocketCalls.Bind(socket, address));
            }
            var errno = BindExclusively(socket, address);
            if (errno == Errno.EADDRINUSE)
            {
                SocketAddressBytes.SetPort(address, 0);
                errno = BindExclusively(socket, address);
            }
            if (errno != 0) return SyscallDecision.Deny(errno);
            if (SocketCalls.LocalAddress(socket, out errno) is not { } bound || !SocketAddressBytes.TryParse(bound, out _, out real))
                throw new InvalidOperationException($"bound a socket for pid {call.Pid} but cannot read its port back (errno {errno})");
            space.Add(protocol, port, real);
        }
        session.Report(new PortMapping(protocol, port, real, call.Pid));
        return SyscallDecision.Result(0);
    }

    private static SyscallDecision Answer(int errno) => errno == 0 ? SyscallDecision.Result(0) : SyscallDecision.Deny(errno);

    /// <summary>
    /// Binds without SO_REUSEADDR and SO_REUSEPORT, then restores them: with them the port of another sandbox's
    /// socket (bound but not yet listening, or itself SO_REUSEPORT) could be shared instead of remapped.
    /// </summary>
    private static int BindExclusively(SafeFileHandle socket, byte[] address)
    {
        var reuseAddress = SocketCalls.Option(socket, SocketCalls.SO_REUSEADDR) > 0;
        var reusePort = SocketCalls.Option(socket, SocketCalls.SO_REUSEPORT) > 0;
        if (reuseAddress) Set(SocketCalls.SO_REUSEADDR, 0);
        if (reusePort) Set(SocketCalls.SO_REUSEPORT, 0);
        try
        {
            return SocketCalls.Bind(socket, address);
        }
        finally
        {
            if (reuseAddress) Set(SocketCalls.SO_REUSEADDR, 1);
            if (reusePort) Set(SocketCalls.SO_REUSEPORT, 1);
        }

        void Set(int option, int value)
        {
            var errno = SocketCalls.SetOption(socket, option, value);
            if (errno != 0) throw new InvalidOperationException($"cannot set socket option {option} on the child's socket (errno {errno})");
        }
    }

    private static bool MayBindPrivilegedPorts(SyscallEvent call, SupervisedSession session)
    {
        if (ProcessStatus.Read(call.Pid) is not { } status) return false;
        // The pid named the caller only if its notification is still pending.
        return (status.EffectiveCapabilities & (1UL << CapNetBindService)) != 0 && SeccompNotify.IsValid(session.Listener, call.Id);
    }

    private static int ReadUnprivilegedPortStart()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_unprivileged_port_start").Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 1024;
        }
    }
}
