using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Sandlock.Testing.Interop;

namespace Sandlock.Testing.Child;

/// <summary>
/// The shared child's end of the parent's unix socket, as a plain stream over the fd. Not System.Net.Sockets: its
/// first use (the assembly, the socket engine's statics and thread) cost every child about 13 ms of CPU, and the child
/// only ever reads and writes this one socket, blocking.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ParentConnection
{
    // sockaddr_un: a 2-byte family, then the path and its terminating NUL in 108 bytes.
    private const int PathCapacity = 108;

    public static FileStream Open(string socketPath)
    {
        var path = Encoding.UTF8.GetBytes(socketPath);
        if (path.Length >= PathCapacity)
            throw new IOException($"the parent's socket path {socketPath} is {path.Length} bytes; a unix socket path has at most {PathCapacity - 1}");
        var address = new byte[2 + path.Length + 1];
        BitConverter.TryWriteBytes(address.AsSpan(0, 2), (ushort)ChildLibc.AfUnix);
        path.CopyTo(address, 2);

        var fd = ChildLibc.Socket(ChildLibc.AfUnix, ChildLibc.SockStream | ChildLibc.SockCloexec, 0);
        if (fd < 0) throw Failed("socket", socketPath);
        int result;
        // A signal while it waits for room in the parent's backlog interrupts it before anything is connected.
        do result = ChildLibc.Connect(fd, address, (uint)address.Length);
        while (result != 0 && Marshal.GetLastPInvokeError() == ChildLibc.Eintr);
        if (result != 0)
        {
            var error = Failed("connect", socketPath);
            ChildLibc.Close(fd);
            throw error;
        }
        // Unbuffered: the readers and writers over it buffer, and reads and writes must not share one buffer.
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.ReadWrite, bufferSize: 0);
    }

    private static IOException Failed(string call, string socketPath)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} to the parent's socket {socketPath}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }
}
