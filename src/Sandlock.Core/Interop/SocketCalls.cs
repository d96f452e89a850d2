using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>Socket calls the supervisor makes on duplicated child sockets, on the child's behalf.</summary>
internal static unsafe partial class SocketCalls
{
    public const int SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_TYPE = 3, SO_REUSEPORT = 15, SO_PROTOCOL = 38, SO_DOMAIN = 39;
    public const int AF_UNSPEC = 0, AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
    public const int SOCK_STREAM = 1, SOCK_DGRAM = 2;
    public const int IPPROTO_ICMP = 1, IPPROTO_UDP = 17, IPPROTO_ICMPV6 = 58;
    private const int SockaddrStorageSize = 128;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public void* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSockOpt(int socket, int level, int name, int* value, uint* length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int socket, int level, int name, int* value, uint length);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int socket, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    internal static partial int Listen(int socket, int backlog);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    private static partial int GetSockName(int socket, byte* address, uint* length);

    [LibraryImport("libc", EntryPoint = "getpeername", SetLastError = true)]
    private static partial int GetPeerName(int socket, byte* address, uint* length);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int socket, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int socket, MsgHdr* message, int flags);

    /// <summary>An int socket option, or -1 when the fd is not a socket.</summary>
    private static int Option(int socket, int name)
    {
        int value = 0;
        uint length = sizeof(int);
        return GetSockOpt(socket, SOL_SOCKET, name, &value, &length) == 0 ? value : -1;
    }

    /// <summary>connect() on a duplicated socket; 0 or an errno.</summary>
    public static int Connect(SafeHandle socket, ReadOnlySpan<byte> address)
    {
        fixed (byte* a = address)
        {
            while (true)
            {
                if (Connect((int)socket.DangerousGetHandle(), a, (uint)address.Length) == 0) return 0;
                var errno = Libc.LastError;
                if (errno != Errno.EINTR) return errno;
            }
        }
    }

    /// <summary>sendmsg() on a duplicated socket with copies of the child's buffers; bytes sent or -errno.</summary>
    public static long Send(SafeHandle socket, ReadOnlySpan<byte> address, ReadOnlySpan<byte> data, ReadOnlySpan<byte> control, int flags)
    {
        fixed (byte* a = address)
        fixed (byte* d = data)
        fixed (byte* c = control)
        {
            var iov = new IoVec { Base = d, Length = (nuint)data.Length };
            var message = new MsgHdr
            {
                Name = address.IsEmpty ? null : a,
                NameLength = (uint)address.Length,
                Iov = &iov,
                IovLength = 1,
                Control = control.IsEmpty ? null : c,
                ControlLength = (nuint)control.Length,
            };
            while (true)
            {
                var sent = SendMsg((int)socket.DangerousGetHandle(), &message, flags);
                if (sent >= 0) return sent;
                var errno = Libc.LastError;
                if (errno != Errno.EINTR) return -errno;
            }
        }
    }

    public static int Option(SafeHandle socket, int name) => Option((int)socket.DangerousGetHandle(), name);

    /// <summary>Sets an int SOL_SOCKET option; 0 or an errno.</summary>
    public static int SetOption(SafeHandle socket, int name, int value) =>
        SetSockOpt((int)socket.DangerousGetHandle(), SOL_SOCKET, name, &value, sizeof(int)) == 0 ? 0 : Libc.LastError;

    /// <summary>bind() on a duplicated socket; 0 or an errno.</summary>
    public static int Bind(SafeHandle socket, ReadOnlySpan<byte> address)
    {
        fixed (byte* a = address)
            return Bind((int)socket.DangerousGetHandle(), a, (uint)address.Length) == 0 ? 0 : Libc.LastError;
    }

    /// <summary>listen() on a duplicated socket; 0 or an errno.</summary>
    public static int Listen(SafeHandle socket, int backlog) =>
        Listen((int)socket.DangerousGetHandle(), backlog) == 0 ? 0 : Libc.LastError;

    /// <summary>The socket's local address, or null (errno in <paramref name="errno"/>).</summary>
    public static byte[]? LocalAddress(SafeHandle socket, out int errno) => Name(socket, peer: false, out errno);

    /// <summary>The socket's peer address, or null (errno in <paramref name="errno"/>, ENOTCONN when unconnected).</summary>
    public static byte[]? PeerAddress(SafeHandle socket, out int errno) => Name(socket, peer: true, out errno);

    private static byte[]? Name(SafeHandle socket, bool peer, out int errno)
    {
        var buffer = new byte[SockaddrStorageSize];
        uint length = SockaddrStorageSize;
        fixed (byte* a = buffer)
        {
            var fd = (int)socket.DangerousGetHandle();
            if ((peer ? GetPeerName(fd, a, &length) : GetSockName(fd, a, &length)) != 0)
            {
                errno = Libc.LastError;
                return null;
            }
        }
        errno = 0;
        return buffer.AsSpan(0, (int)Math.Min(length, SockaddrStorageSize)).ToArray();
    }
}
