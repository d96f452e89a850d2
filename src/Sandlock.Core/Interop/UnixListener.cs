using System.Runtime.InteropServices;
using System.Text;

namespace Sandlock.Interop;

/// <summary>
/// A listening unix stream socket by plain syscalls. .NET's Socket starts the socket engine (an epoll thread) when
/// the first one is made; a listener that only blocks in accept needs none, and a CLI run would pay for it.
/// </summary>
internal static unsafe partial class UnixListener
{
    private const int SOCK_CLOEXEC = 0x80000, SOCK_NONBLOCK = 0x800;
    private const int SunPathLength = 108;

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    private static partial int Accept4(int socket, byte* address, uint* length, int flags);

    /// <summary>
    /// A close-on-exec stream socket bound at <paramref name="path"/> and listening, or -errno. Non-blocking: a
    /// connection its client gave up between the readiness and the accept must not hold the accepting thread.
    /// </summary>
    public static int Open(string path, int backlog)
    {
        var name = Encoding.UTF8.GetBytes(path);
        if (name.Length >= SunPathLength) return -Errno.ENAMETOOLONG;
        var address = stackalloc byte[2 + SunPathLength];
        new Span<byte>(address, 2 + SunPathLength).Clear();
        *(ushort*)address = SocketCalls.AF_UNIX;
        name.CopyTo(new Span<byte>(address + 2, SunPathLength));
        var fd = Socket(SocketCalls.AF_UNIX, SocketCalls.SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) return -Libc.LastError;
        if (SocketCalls.Bind(fd, address, (uint)(2 + name.Length + 1)) == 0 && SocketCalls.Listen(fd, backlog) == 0) return fd;
        var errno = Libc.LastError;
        Libc.Close(fd);
        return -errno;
    }

    /// <summary>The next connection (close-on-exec, blocking), or -errno: -EAGAIN when none is pending.</summary>
    public static int Accept(int listener)
    {
        while (true)
        {
            var fd = Accept4(listener, null, null, SOCK_CLOEXEC);
            if (fd >= 0) return fd;
            var errno = Libc.LastError;
            if (errno != Errno.EINTR) return -errno;
        }
    }
}
