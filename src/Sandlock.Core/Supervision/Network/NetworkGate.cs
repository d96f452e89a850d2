using System.Buffers.Binary;
using System.Net;
using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Supervision.Network;

/// <summary>
/// Holds connect, sendto, sendmsg and sendmmsg of IP sockets and checks the destination against the network rules.
/// Allowed calls are performed by the supervisor itself, on a duplicate of the child's socket with its own copy of
/// the address and data, so the child cannot change them between the check and the use. Unix sockets pass through
/// (Landlock governs them); the decision to let them pass depends on the socket, not on child memory. With port
/// remapping, a destination is checked with the port the sandbox named and then sent to the real port behind it.
/// </summary>
public sealed class NetworkGate(NetworkRules rules, INetworkVeto? veto = null, PortRemap? ports = null) : SyscallHandler
{
    private const int Ebadf = 9, Eacces = 13, Efault = 14, Emsgsize = 90, Einval = 22;
    private const int MaxPayload = 1 << 20;
    private const int MsgHdrSize = 56, MmsgHdrSize = 64, MaxMessages = 1024;
    private const int MsgFastOpen = 0x20000000;

    public override IReadOnlyCollection<string> Syscalls { get; } = ["connect", "sendto", "sendmsg", "sendmmsg"];

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var socket = ChildAccess.DuplicateFd(session, call, (int)call.Args[0]);
        // Fail closed: without our own copy of the socket nothing can be checked (a bad fd gets the kernel's EBADF).
        if (socket is null) return ValueTask.FromResult(SyscallDecision.Deny(Ebadf));
        var domain = SocketCalls.Option(socket, SocketCalls.SO_DOMAIN);
        if (domain != SocketCalls.AF_INET && domain != SocketCalls.AF_INET6)
        {
            socket.Dispose();
            return ValueTask.FromResult(SyscallDecision.Allow);
        }
        var protocol = ProtocolOf(socket);
        return call.Name switch
        {
            "connect" => ConnectAsync(call, session, socket, protocol),
            "sendto" => SendToAsync(call, session, socket, protocol),
            "sendmsg" => SendMsgAsync(call, session, socket, protocol),
            _ => SendMmsgAsync(call, session, socket, protocol),
        };
    }

    private static NetProtocol ProtocolOf(SafeFileHandle socket)
    {
        if (SocketCalls.Option(socket, SocketCalls.SO_TYPE) == SocketCalls.SOCK_STREAM) return NetProtocol.Tcp;
        var proto = SocketCalls.Option(socket, SocketCalls.SO_PROTOCOL);
        return proto is SocketCalls.IPPROTO_ICMP or SocketCalls.IPPROTO_ICMPV6 ? NetProtocol.Icmp : NetProtocol.Udp;
    }

    private bool Check(SyscallEvent call, SupervisedSession session, NetProtocol protocol, ReadOnlySpan<byte> address)
    {
        if (!SocketAddressBytes.TryParse(address, out var ip, out var port))
        {
            session.Deny(new Denial(call.Name, "unparsable address", call.Pid, "refused"));
            return false;
        }
        if (rules.Allows(protocol, ip, port, out var reason) && (veto is null || veto.Allows(call, session, protocol, ip, port, out reason))) return true;
        var shown = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]:{port}" : $"{ip}:{port}";
        session.Deny(new Denial(call.Name, $"{protocol.ToString().ToLowerInvariant()} {shown}", call.Pid, reason));
        return false;
    }

    private async ValueTask<SyscallDecision> ConnectAsync(SyscallEvent call, SupervisedSession session, SafeFileHandle socket, NetProtocol protocol)
    {
        using (socket)
        {
            var length = (int)Math.Min(call.Args[2], SocketAddressBytes.MaxLength);
            var address = new byte[length];
            if (!ChildAccess.Read(session, call, call.Args[1], address)) return SyscallDecision.Deny(Efault);
            if (!SocketAddressBytes.IsUnspecified(address) && !Check(call, session, protocol, address))
                return SyscallDecision.Deny(Eacces);
            ports?.Redirect(session, protocol, address);
            // A blocking connect can take long: never on the supervisor thread.
            var errno = await Task.Run(() => SocketCalls.Connect(socket, address)).ConfigureAwait(false);
            return errno == 0 ? SyscallDecision.Result(0) : SyscallDecision.Deny(errno);
        }
    }

    private async ValueTask<SyscallDecision> SendToAsync(SyscallEvent call, SupervisedSession session, SafeFileHandle socket, NetProtocol protocol)
    {
        using (socket)
        {
            var (buffer, length, flags, target, targetLength) = (call.Args[1], call.Args[2], (int)call.Args[3], call.Args[4], call.Args[5]);
            // No address: a connected socket, checked when it connected. TCP ignores the address unless it is a
            // fast-open connect; both facts come from registers and the socket, not from memory the child can change.
            if (target == 0 || (protocol == NetProtocol.Tcp && (flags & MsgFastOpen) == 0)) return SyscallDecision.Allow;
            var address = new byte[Math.Min(targetLength, SocketAddressBytes.MaxLength)];
            if (!ChildAccess.Read(session, call, target, address)) return SyscallDecision.Deny(Efault);
            if (!Check(call, session, protocol, address)) return SyscallDecision.Deny(Eacces);
            ports?.Redirect(session, protocol, address);
            if (length > MaxPayload) return SyscallDecision.Deny(Emsgsize);
            var data = new byte[length];
            if (!ChildAccess.Read(session, call, buffer, data)) return SyscallDecision.Deny(Efault);
            var sent = await Task.Run(() => SocketCalls.Send(socket, address, data, [], flags)).ConfigureAwait(false);
            return sent >= 0 ? SyscallDecision.Result(sent) : SyscallDecision.Deny((int)-sent);
        }
    }

    private async ValueTask<SyscallDecision> SendMsgAsync(SyscallEvent call, SupervisedSession session, SafeFileHandle socket, NetProtocol protocol)
    {
        using (socket)
        {
            if (protocol == NetProtocol.Tcp && ((int)call.Args[2] & MsgFastOpen) == 0) return SyscallDecision.Allow;
            // Datagrams are always sent on the child's behalf: msg_name lives in memory the child could change.
            var header = new byte[MsgHdrSize];
            if (!ChildAccess.Read(session, call, call.Args[1], header)) return SyscallDecision.Deny(Efault);
            var message = ReadMessage(call, session, header, protocol, out var refusal);
            if (refusal is { } errno) return SyscallDecision.Deny(errno);
            var sent = await Task.Run(() => SocketCalls.Send(socket, message.Address, message.Data, message.Control, (int)call.Args[2])).ConfigureAwait(false);
            return sent >= 0 ? SyscallDecision.Result(sent) : SyscallDecision.Deny((int)-sent);
        }
    }

    private async ValueTask<SyscallDecision> SendMmsgAsync(SyscallEvent call, SupervisedSession session, SafeFileHandle socket, NetProtocol protocol)
    {
        using (socket)
        {
            if (protocol == NetProtocol.Tcp && ((int)call.Args[3] & MsgFastOpen) == 0) return SyscallDecision.Allow;
            var count = (int)Math.Min(call.Args[2], MaxMessages);
            var headers = new byte[count * MmsgHdrSize];
            if (!ChildAccess.Read(session, call, call.Args[1], headers)) return SyscallDecision.Deny(Efault);
            var messages = new List<Message>();
            for (var i = 0; i < count; i++)
            {
                var header = headers.AsSpan(i * MmsgHdrSize, MsgHdrSize).ToArray();
                var message = ReadMessage(call, session, header, protocol, out var refusal);
                // Like the kernel: the messages before a failing one are sent, and their count is the result.
                if (refusal is { } errno) return messages.Count == 0 ? SyscallDecision.Deny(errno) : await SendAll();
                messages.Add(message);
            }
            return await SendAll();

            async ValueTask<SyscallDecision> SendAll()
            {
                var sent = 0;
                foreach (var message in messages)
                {
                    var result = await Task.Run(() => SocketCalls.Send(socket, message.Address, message.Data, message.Control, (int)call.Args[3])).ConfigureAwait(false);
                    if (result < 0) return sent == 0 ? SyscallDecision.Deny((int)-result) : SyscallDecision.Result(sent);
                    // sendmmsg reports each message's length in the child's mmsghdr.msg_len.
                    var lengthBytes = new byte[4];
                    BinaryPrimitives.WriteUInt32LittleEndian(lengthBytes, (uint)result);
                    if (!ChildAccess.Write(session, call, call.Args[1] + (ulong)(sent * MmsgHdrSize + MsgHdrSize), lengthBytes)) return SyscallDecision.Deny(Efault);
                    sent++;
                }
                return SyscallDecision.Result(sent);
            }
        }
    }

    private readonly record struct Message(byte[] Address, byte[] Data, byte[] Control);

    /// <summary>
    /// Copies a msghdr's address (empty on a connected socket), data and control from the child and checks the
    /// address. <paramref name="refusal"/> is null when it may be sent on the child's behalf, else the errno.
    /// </summary>
    private Message ReadMessage(SyscallEvent call, SupervisedSession session, byte[] header, NetProtocol protocol, out int? refusal)
    {
        var name = BinaryPrimitives.ReadUInt64LittleEndian(header);
        var nameLength = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
        var iov = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(16));
        var iovCount = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(24));
        var control = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(32));
        var controlLength = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(40));
        refusal = null;
        var address = name == 0 ? [] : new byte[Math.Min(nameLength, SocketAddressBytes.MaxLength)];
        if (name != 0 && !ChildAccess.Read(session, call, name, address)) { refusal = Efault; return default; }
        if (name != 0 && !Check(call, session, protocol, address)) { refusal = Eacces; return default; }
        if (name != 0) ports?.Redirect(session, protocol, address);
        if (iovCount > 1024 || controlLength > 65536) { refusal = Einval; return default; }
        var vectors = new byte[(int)iovCount * 16];
        if (!ChildAccess.Read(session, call, iov, vectors)) { refusal = Efault; return default; }
        using var data = new MemoryStream();
        for (var i = 0; i < (int)iovCount; i++)
        {
            var start = BinaryPrimitives.ReadUInt64LittleEndian(vectors.AsSpan(i * 16));
            var length = BinaryPrimitives.ReadUInt64LittleEndian(vectors.AsSpan(i * 16 + 8));
            if (data.Length + (long)length > MaxPayload) { refusal = Emsgsize; return default; }
            var chunk = new byte[length];
            if (!ChildAccess.Read(session, call, start, chunk)) { refusal = Efault; return default; }
            data.Write(chunk);
        }
        var controlBytes = new byte[controlLength];
        if (control != 0 && !ChildAccess.Read(session, call, control, controlBytes)) { refusal = Efault; return default; }
        return new Message(address, data.ToArray(), controlBytes);
    }
}
