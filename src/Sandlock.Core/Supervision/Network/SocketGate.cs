using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;

namespace Sandlock.Supervision.Network;

/// <summary>
/// Holds connect, sendto, sendmsg and sendmmsg and performs the ones it checks on the caller's behalf: on a duplicate
/// of its socket, with the supervisor's own copy of the address and data, so the caller cannot change them between
/// the check and the use. Subclasses say which sockets they gate (<typeparamref name="TKind"/>: what they need to
/// know of one) and what a destination may be; calls on other sockets continue, as their socket alone decides that.
/// </summary>
internal abstract class SocketGate<TKind> : SyscallHandler where TKind : struct
{
    private const int MaxPayload = 1 << 20;
    private const int MsgHdrSize = 56, MmsgHdrSize = 64, MaxMessages = 1024;

    public override IReadOnlyCollection<string> Syscalls { get; } = ["connect", "sendto", "sendmsg", "sendmmsg"];

    /// <summary>
    /// A destination allowed: the address to use (the supervisor's copy, maybe rewritten), what must stay open until
    /// it is used, and what to do with the socket once a connect to it has started.
    /// </summary>
    protected readonly record struct Destination(byte[] Address, IDisposable? Keep = null, Action<SafeFileHandle>? Connected = null);

    /// <summary>What the gate needs to know of a socket it decides calls on; null to let the call continue.</summary>
    protected abstract TKind? Gates(SafeFileHandle socket);

    /// <summary>Whether a call continues unchecked for what its registers and socket say (no address the kernel would use).</summary>
    protected abstract bool Continues(SyscallEvent call, TKind kind);

    /// <summary>
    /// Decides a destination the caller named (the supervisor's copy; empty when a message carries none): the
    /// destination to use, or null with the errno the caller gets (and a denial recorded).
    /// </summary>
    protected abstract Destination? Check(SyscallEvent call, SupervisedSession session, TKind kind, byte[] address, out int errno);

    public sealed override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var socket = ChildAccess.DuplicateFd(session, call, (int)call.Args[0]);
        // Fail closed: without our own copy of the socket nothing can be checked (a bad fd gets the kernel's EBADF).
        if (socket is null) return ValueTask.FromResult(SyscallDecision.Deny(Errno.EBADF));
        if (Gates(socket) is not { } kind || Continues(call, kind))
        {
            socket.Dispose();
            return ValueTask.FromResult(SyscallDecision.Allow);
        }
        return call.Name switch
        {
            "connect" => ConnectAsync(call, session, socket, kind),
            "sendto" => SendToAsync(call, session, socket, kind),
            "sendmsg" => SendMsgAsync(call, session, socket, kind),
            _ => SendMmsgAsync(call, session, socket, kind),
        };
    }

    private async ValueTask<SyscallDecision> ConnectAsync(SyscallEvent call, SupervisedSession session, SafeFileHandle socket, TKind kind)
    {
        using (socket)
        {
            var address = new byte[(int)Math.Min(call.Args[2], SocketAddressBytes.MaxLength)];
            if (!ChildAccess.Read(session, call, call.Args[1], address)) return SyscallDecision.Deny(Errno.EFAULT);
            if (Check(call, session, kind, address, out var refusal) is not { } destination) return SyscallDecision.Deny(refusal);
            using (destination.Keep)
            {
                // A blocking connect can take long: never on the supervisor thread.
                var errno = await Task.Run(() => SocketCalls.Connect(socket, destination.Address)).ConfigureAwait(false);
                if (errno is 0 or Errno.EINPROGRESS) destination.Connected?.Invoke(socket);
                return errno == 0 ? SyscallDecision.Result(0) : SyscallDecision.Deny(errno);
            }
        }
    }

    private async ValueTask<SyscallDecision> SendToAsync(SyscallEvent call, SupervisedSession session, SafeFileHandle socket, TKind kind)
    {
        using (socket)
        {
            var (buffer, length, flags, target, targetLength) = (call.Args[1], call.Args[2], (int)call.Args[3], call.Args[4], call.Args[5]);
            var address = target == 0 ? [] : new byte[Math.Min(targetLength, SocketAddressBytes.MaxLength)];
            if (!ChildAccess.Read(session, call, target, address)) return SyscallDecision.Deny(Errno.EFAULT);
            if (Check(call, session, kind, address, out var refusal) is not { } destination) return SyscallDecision.Deny(refusal);
            using (destination.Keep)
            {
                if (length > MaxPayload) return SyscallDecision.Deny(Errno.EMSGSIZE);
                var data = new byte[length];
                if (!ChildAccess.Read(session, call, buffer, data)) return SyscallDecision.Deny(Errno.EFAULT);
                var sent = await Task.Run(() => SocketCalls.Send(socket, destination.Address, data, [], flags)).ConfigureAwait(false);
                return sent >= 0 ? SyscallDecision.Result(sent) : SyscallDecision.Deny((int)-sent);
            }
        }
    }

    private async ValueTask<SyscallDecision> SendMsgAsync(SyscallEvent call, SupervisedSession session, SafeFileHandle socket, TKind kind)
    {
        using (socket)
        {
            // msg_name lives in memory the caller could change: the message is always sent on its behalf.
            var header = new byte[MsgHdrSize];
            if (!ChildAccess.Read(session, call, call.Args[1], header)) return SyscallDecision.Deny(Errno.EFAULT);
            var message = ReadMessage(call, session, kind, header, out var refusal);
            if (refusal is { } errno) return SyscallDecision.Deny(errno);
            using (message.Keep)
            {
                var sent = await Task.Run(() => SocketCalls.Send(socket, message.Address, message.Data, message.Control, (int)call.Args[2])).ConfigureAwait(false);
                return sent >= 0 ? SyscallDecision.Result(sent) : SyscallDecision.Deny((int)-sent);
            }
        }
    }

    private async ValueTask<SyscallDecision> SendMmsgAsync(SyscallEvent call, SupervisedSession session, SafeFileHandle socket, TKind kind)
    {
        using (socket)
        {
            var count = (int)Math.Min(call.Args[2], MaxMessages);
            var headers = new byte[count * MmsgHdrSize];
            if (!ChildAccess.Read(session, call, call.Args[1], headers)) return SyscallDecision.Deny(Errno.EFAULT);
            var messages = new List<Message>();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var header = headers.AsSpan(i * MmsgHdrSize, MsgHdrSize).ToArray();
                    var message = ReadMessage(call, session, kind, header, out var refusal);
                    // Like the kernel: the messages before a failing one are sent, and their count is the result.
                    if (refusal is { } errno) return messages.Count == 0 ? SyscallDecision.Deny(errno) : await SendAll();
                    messages.Add(message);
                }
                return await SendAll();
            }
            finally
            {
                foreach (var message in messages) message.Keep?.Dispose();
            }

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
                    if (!ChildAccess.Write(session, call, call.Args[1] + (ulong)(sent * MmsgHdrSize + MsgHdrSize), lengthBytes)) return SyscallDecision.Deny(Errno.EFAULT);
                    sent++;
                }
                return SyscallDecision.Result(sent);
            }
        }
    }

    private readonly record struct Message(byte[] Address, byte[] Data, byte[] Control, IDisposable? Keep);

    /// <summary>
    /// Copies a msghdr's address (empty when it names none), data and control from the child and checks the
    /// address. <paramref name="refusal"/> is null when it may be sent on the child's behalf, else the errno.
    /// </summary>
    private Message ReadMessage(SyscallEvent call, SupervisedSession session, TKind kind, byte[] header, out int? refusal)
    {
        var name = BinaryPrimitives.ReadUInt64LittleEndian(header);
        var nameLength = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
        var iov = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(16));
        var iovCount = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(24));
        var control = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(32));
        var controlLength = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(40));
        refusal = null;
        if (iovCount > 1024 || controlLength > 65536) { refusal = Errno.EINVAL; return default; }
        var address = name == 0 ? [] : new byte[Math.Min(nameLength, SocketAddressBytes.MaxLength)];
        if (!ChildAccess.Read(session, call, name, address)) { refusal = Errno.EFAULT; return default; }
        if (Check(call, session, kind, address, out var errno) is not { } destination) { refusal = errno; return default; }
        var vectors = new byte[(int)iovCount * 16];
        using var data = new MemoryStream();
        var controlBytes = new byte[controlLength];
        var copied = ChildAccess.Read(session, call, iov, vectors);
        for (var i = 0; copied && i < (int)iovCount; i++)
        {
            var start = BinaryPrimitives.ReadUInt64LittleEndian(vectors.AsSpan(i * 16));
            var length = BinaryPrimitives.ReadUInt64LittleEndian(vectors.AsSpan(i * 16 + 8));
            if (data.Length + (long)length > MaxPayload) { destination.Keep?.Dispose(); refusal = Errno.EMSGSIZE; return default; }
            var chunk = new byte[length];
            copied = ChildAccess.Read(session, call, start, chunk);
            data.Write(chunk);
        }
        if (copied && control != 0) copied = ChildAccess.Read(session, call, control, controlBytes);
        if (!copied) { destination.Keep?.Dispose(); refusal = Errno.EFAULT; return default; }
        return new Message(destination.Address, data.ToArray(), controlBytes, destination.Keep);
    }
}
