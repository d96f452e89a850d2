using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>
/// Moves bytes from one socket to another through a large native buffer, with recv and send. It beat splice(2)
/// through a pipe on every measurement here (bench/relay-ceiling.sh, docs/benchmarks.md): over loopback TCP a
/// spliced page costs the sending side more than the copy it saves. The sockets are made non-blocking and waited
/// for with a blocking poll, so <see cref="Move"/> belongs on a thread of its own. A set <see cref="StopSignal"/> ends it.
/// </summary>
internal sealed unsafe partial class SocketCopy : IDisposable
{
    private const int MsgDontWait = 0x40, MsgNoSignal = 0x4000;
    private const short PollIn = 0x1, PollOut = 0x4;
    // Fewer, larger copies: 4 MiB moved 100 MB 5-12% faster than 1 MiB in most runs here; its pages are touched only as data arrives.
    private const int BufferBytes = 4 << 20;

    private const int Idle = 0, Moving = 1, Disposed = 2;

    private byte* _buffer;
    // A dispose during a move (the proxy stopping) leaves the freeing to the move's end.
    private int _state;

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int socket, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint Send(int socket, byte* buffer, nuint length, int flags);

    /// <summary>
    /// Moves <paramref name="count"/> bytes (<see cref="long.MaxValue"/>: up to the end of the stream) from
    /// <paramref name="from"/> to <paramref name="to"/>. Returns how many moved: fewer only when <paramref name="from"/>
    /// ended first. Throws <see cref="IOException"/> when a socket fails and <see cref="OperationCanceledException"/>
    /// once <paramref name="stop"/> is set.
    /// </summary>
    public long Move(SafeSocketHandle from, SafeSocketHandle to, long count, StopSignal stop)
    {
        ObjectDisposedException.ThrowIf(Interlocked.CompareExchange(ref _state, Moving, Idle) != Idle, this);
        bool fromAdded = false, toAdded = false, stopAdded = false;
        try
        {
            // Held for the whole move so a socket closed meanwhile cannot hand its fd number to another file.
            from.DangerousAddRef(ref fromAdded);
            to.DangerousAddRef(ref toAdded);
            stop.Handle.DangerousAddRef(ref stopAdded);
            var (fromFd, toFd) = ((int)from.DangerousGetHandle(), (int)to.DangerousGetHandle());
            // .NET makes a socket non-blocking once it is used asynchronously; a blocking one would hold this thread past the stop signal.
            Libc.SetNonBlocking(fromFd);
            Libc.SetNonBlocking(toFd);
            if (_buffer == null) _buffer = (byte*)NativeMemory.Alloc(BufferBytes);
            return MoveBetween(fromFd, toFd, count, (int)stop.Handle.DangerousGetHandle());
        }
        finally
        {
            if (fromAdded) from.DangerousRelease();
            if (toAdded) to.DangerousRelease();
            if (stopAdded) stop.Handle.DangerousRelease();
            if (Interlocked.CompareExchange(ref _state, Idle, Moving) == Disposed) FreeBuffer();
        }
    }

    private long MoveBetween(int from, int to, long count, int stop)
    {
        long moved = 0;
        while (moved < count)
        {
            var read = Recv(from, _buffer, (nuint)Math.Min(count - moved, BufferBytes), MsgDontWait);
            if (read == 0) break;
            if (read < 0)
            {
                if (Retry(Libc.LastError, "reading")) Wait(from, PollIn, stop);
                continue;
            }
            for (nint sent = 0; sent < read;)
            {
                // MSG_NOSIGNAL: a sandbox that closed its end fails this send with EPIPE instead of a SIGPIPE.
                var n = Send(to, _buffer + sent, (nuint)(read - sent), MsgDontWait | MsgNoSignal);
                if (n > 0) { sent += n; moved += n; }
                else if (Retry(n == 0 ? Errno.EAGAIN : Libc.LastError, "writing")) Wait(to, PollOut, stop);
            }
        }
        return moved;
    }

    /// <summary>True for "try again once ready"; EINTR retries at once (false); anything else throws.</summary>
    private static bool Retry(int errno, string doing) => errno switch
    {
        Errno.EAGAIN => true,
        Errno.EINTR => false,
        _ => throw new IOException($"{(doing == "reading" ? "recv" : "send")} failed {doing} a socket: {Libc.ErrorText(errno)}"),
    };

    private static void Wait(int fd, short events, int stop)
    {
        var fds = stackalloc Libc.PollFd[2];
        fds[0] = new Libc.PollFd { Fd = fd, Events = events };
        fds[1] = new Libc.PollFd { Fd = stop, Events = PollIn };
        while (Libc.Poll(fds, 2, -1) < 0)
            if (Libc.LastError != Errno.EINTR) throw new IOException($"poll failed: {Libc.ErrorText(Libc.LastError)}");
        if (fds[1].Revents != 0) throw new OperationCanceledException("the HTTP proxy is stopping");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _state, Disposed) == Idle) FreeBuffer();
    }

    private void FreeBuffer()
    {
        NativeMemory.Free(_buffer);
        _buffer = null;
    }
}
