using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sandlock.Interop;

/// <summary>
/// Moves bytes from one socket to another through a pipe with splice(2), so they never enter this process. The
/// sockets are made non-blocking and waited for with a blocking poll, so <see cref="Move"/> belongs on a thread of
/// its own. A set <see cref="StopSignal"/> ends it.
/// </summary>
internal sealed unsafe partial class SocketSplice : IDisposable
{
    private const uint SpliceMove = 1, SpliceNonBlock = 2, SpliceMore = 4;
    private const short PollIn = 0x1, PollOut = 0x4;
    private const int PipeBytes = 1 << 20;

    private readonly int _read, _write;
    private readonly int _capacity;
    private int _disposed;

    [LibraryImport("libc", EntryPoint = "splice", SetLastError = true)]
    private static partial nint Splice(int fdIn, long* offIn, int fdOut, long* offOut, nuint length, uint flags);

    public SocketSplice()
    {
        var fds = stackalloc int[2];
        if (Libc.Pipe2(fds, Libc.O_CLOEXEC | Libc.O_NONBLOCK) != 0) throw new IOException($"pipe2 failed: {Libc.ErrorText(Libc.LastError)}");
        (_read, _write) = (fds[0], fds[1]);
        // A bigger pipe means fewer calls per megabyte; the default (64 KiB) still works when the user's pipe quota is spent.
        _capacity = Libc.TrySetPipeSize(_write, PipeBytes) ? PipeBytes : 64 * 1024;
    }

    /// <summary>
    /// Moves <paramref name="count"/> bytes (<see cref="long.MaxValue"/>: up to the end of the stream) from
    /// <paramref name="from"/> to <paramref name="to"/>. Returns how many moved: fewer only when <paramref name="from"/>
    /// ended first. Throws <see cref="IOException"/> when a socket fails and <see cref="OperationCanceledException"/>
    /// once <paramref name="stop"/> is set.
    /// </summary>
    public long Move(SafeSocketHandle from, SafeSocketHandle to, long count, StopSignal stop)
    {
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
            return MoveBetween(fromFd, toFd, count, (int)stop.Handle.DangerousGetHandle());
        }
        finally
        {
            if (fromAdded) from.DangerousRelease();
            if (toAdded) to.DangerousRelease();
            if (stopAdded) stop.Handle.DangerousRelease();
        }
    }

    private long MoveBetween(int from, int to, long count, int stop)
    {
        long moved = 0, piped = 0;
        var ended = false;
        var untilEnd = count == long.MaxValue;
        while (piped > 0 || (!ended && moved < count))
        {
            bool progressed = false, inputWaits = false, outputWaits = false;
            if (!ended && moved + piped < count)
            {
                var n = Splice(from, null, _write, null, (nuint)Math.Min(count - moved - piped, _capacity), SpliceMove | SpliceNonBlock);
                if (n > 0) { piped += n; progressed = true; }
                else if (n == 0) { ended = true; progressed = true; }
                else inputWaits = Retry(Libc.LastError, "reading");
            }
            if (piped > 0)
            {
                // More to come: the kernel may hold a partial segment back for it (as MSG_MORE).
                var more = !untilEnd && moved + piped < count ? SpliceMore : 0;
                var n = Splice(_read, null, to, null, (nuint)piped, SpliceMove | SpliceNonBlock | more);
                if (n > 0) { piped -= n; moved += n; progressed = true; }
                else outputWaits = Retry(n == 0 ? Errno.EAGAIN : Libc.LastError, "writing");
            }
            if (progressed) continue;
            // Data in the pipe waits for the output; an empty pipe waits for input (the input may also refuse
            // because the pipe is full, which only output cures).
            if (piped > 0 ? outputWaits : inputWaits) Wait(piped > 0 ? to : from, piped > 0 ? PollOut : PollIn, stop);
        }
        return moved;
    }

    /// <summary>True for "try again once ready"; EINTR retries at once (false); anything else throws.</summary>
    private static bool Retry(int errno, string doing) => errno switch
    {
        Errno.EAGAIN => true,
        Errno.EINTR => false,
        _ => throw new IOException($"splice failed {doing} a socket: {Libc.ErrorText(errno)}"),
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
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Libc.CloseQuietly(_read);
        Libc.CloseQuietly(_write);
    }
}
