using Sandlock.Interop;

namespace Sandlock.Supervision.Determinism;

/// <summary>
/// One open of a seeded device: a pipe the supervisor keeps full of the seed's stream, from its start, on the event
/// loop as the reader drains it. It never ends, as the device does not (a file of the stream ended after 256 KiB, and
/// `head -c 1M /dev/urandom` read 256 KiB), and making one costs a pipe's worth of the stream, where the file cost all
/// of it at every test's start. The read end goes to the sandbox; the write end is closed once no reader is left, or
/// when the sandbox ends.
/// </summary>
internal sealed class SeededPipe : EventLoop.Watch, IDisposable
{
    // What the pipe holds: a test's start makes and a test's end frees this much (a pipe's default is 64 KiB); a read
    // asking for more may return less, as a pipe's do. What is made of the stream at a time.
    private const int Capacity = 16 * 1024;
    private const int Chunk = 16 * 1024;

    private readonly Lock _gate = new();
    private readonly SeededBytes _stream;
    private readonly Action<SeededPipe> _finished;
    private byte[]? _pending = new byte[Chunk];
    private int _pendingStart = Chunk;
    private int _readEnd;
    private int _writeEnd;

    private SeededPipe(int readEnd, int writeEnd, SeededBytes stream, Action<SeededPipe> finished) : base(writeEnd)
    {
        (_readEnd, _writeEnd, _stream, _finished) = (readEnd, writeEnd, stream, finished);
        Inode = FileIdentity.VersionOf(readEnd)?.Inode ?? 0;
    }

    /// <summary>The pipe's inode: /proc/PID/fd/N of a process holding its read end reads "pipe:[inode]".</summary>
    public ulong Inode { get; }

    /// <summary>
    /// A pipe full of <paramref name="seed"/>'s stream for <paramref name="purpose"/>, its writer on the event loop;
    /// <paramref name="finished"/> runs once its write end is closed. Throws when the pipe cannot be made.
    /// </summary>
    public static SeededPipe Open(ulong seed, string purpose, Action<SeededPipe> finished)
    {
        if (Libc.CreatePipe() is not var (read, write))
            throw new IOException($"pipe2 for the seeded device failed: {Libc.ErrorText(Libc.LastError)}");
        SeededPipe pipe;
        try
        {
            Libc.SetNonBlocking(write);
            // Where the kernel refuses (the user's pipe pages are used up), the pipe keeps the size it got.
            Libc.TrySetPipeSize(write, Capacity);
            pipe = new SeededPipe(read, write, new SeededBytes(seed, purpose), finished);
        }
        catch
        {
            Libc.Close(read);
            Libc.Close(write);
            throw;
        }
        pipe.Fill();
        try { EventLoop.Add(pipe); }
        catch
        {
            pipe.Dispose();
            throw;
        }
        return pipe;
    }

    public override uint Events => Libc.EPOLLOUT;

    /// <summary>The read end, for the caller to hand over and close; -1 after the first call.</summary>
    public int TakeReadEnd()
    {
        lock (_gate)
        {
            var fd = _readEnd;
            _readEnd = -1;
            return fd;
        }
    }

    public override bool OnReady(uint events) => (events & (Libc.EPOLLERR | Libc.EPOLLHUP)) != 0 || !Fill();

    public override void OnFinished() => Close();

    /// <summary>Closes the pipe's ends the supervisor holds (copies the sandbox holds read what was written).</summary>
    public void Dispose()
    {
        EventLoop.Remove(this);
        Close();
    }

    /// <summary>Writes the stream until the pipe is full; false when the pipe is closed or no reader is left.</summary>
    private bool Fill()
    {
        lock (_gate)
        {
            if (_writeEnd < 0 || _pending is not { } pending) return false;
            while (true)
            {
                if (_pendingStart == pending.Length)
                {
                    _stream.Fill(pending);
                    _pendingStart = 0;
                }
                var written = Libc.WriteSome(_writeEnd, pending.AsSpan(_pendingStart));
                if (written > 0)
                {
                    _pendingStart += (int)written;
                    continue;
                }
                // EAGAIN: full until the reader reads. EPIPE: every read end is closed.
                return written < 0 && Libc.LastError == Errno.EAGAIN;
            }
        }
    }

    private void Close()
    {
        lock (_gate)
        {
            if (_writeEnd < 0) return;
            Libc.Close(_writeEnd);
            _writeEnd = -1;
            if (_readEnd >= 0) Libc.Close(_readEnd);
            _readEnd = -1;
            _pending = null;
        }
        _finished(this);
    }
}
