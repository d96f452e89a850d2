using System.Collections.Concurrent;
using Sandlock.Interop;

namespace Sandlock.Lifecycle;

/// <summary>
/// One epoll thread for all sandboxes: it waits for child exits (pidfds) and reads captured output pipes, so no
/// thread is blocked per sandbox. Everything about one child (reap, kill the rest of its group, drain and close its
/// pipes) happens on this thread, in that order, so no output written before exit is lost.
/// </summary>
internal static unsafe class ChildWatcher
{
    private static readonly int Epoll;
    private static readonly ConcurrentDictionary<ulong, Watch> Watches = new();
    private static long _nextId;

    static ChildWatcher()
    {
        Epoll = Libc.EpollCreate1(Libc.O_CLOEXEC);
        if (Epoll < 0) throw new InvalidOperationException($"epoll_create1 failed: {Libc.ErrorText(Libc.LastError)}");
        new Thread(Loop) { IsBackground = true, Name = "sandlock child watcher" }.Start();
    }

    internal abstract class Watch(int fd)
    {
        public int Fd { get; } = fd;
        public ulong Id { get; set; }
        /// <summary>Handles readiness; returns true when the watch is finished.</summary>
        public abstract bool OnReady(uint events);
    }

    /// <summary>Reads a non-blocking pipe until EOF into memory.</summary>
    internal sealed class OutputPipe(int fd, OutputHandler? observer) : Watch(fd)
    {
        private readonly MemoryStream _buffer = new();
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _done;

        public Task Closed => _closed.Task;

        public byte[] ToArray()
        {
            lock (_buffer) return _buffer.ToArray();
        }

        public override bool OnReady(uint events) => Drain();

        /// <summary>Reads what is there; true at EOF or error.</summary>
        public bool Drain()
        {
            if (_done) return true;
            var chunk = stackalloc byte[65536];
            while (true)
            {
                var n = Libc.Read(Fd, chunk, 65536);
                if (n > 0)
                {
                    var data = new ReadOnlySpan<byte>(chunk, (int)n);
                    lock (_buffer) _buffer.Write(data);
                    try { observer?.Invoke(data); }
                    catch (Exception) { /* an observer's bug must not stop the capture or the watcher */ }
                    continue;
                }
                if (n < 0 && Libc.LastError == Libc.EINTR) continue;
                if (n < 0 && Libc.LastError == Libc.EAGAIN) return false;
                return true;
            }
        }

        public void Finish()
        {
            if (_done) return;
            _done = true;
            Libc.Close(Fd);
            _closed.TrySetResult();
        }
    }

    /// <summary>Reaps a child through its pidfd, kills what is left of its process group, then drains its pipes.</summary>
    /// <remarks><paramref name="onExit"/> runs on the watcher thread with (si_code, si_status): keep it short.</remarks>
    internal sealed class ChildExit(int pidFd, int processGroup, IReadOnlyList<OutputPipe> pipes, Action<int, int> onExit) : Watch(pidFd)
    {

        public override bool OnReady(uint events)
        {
            var info = stackalloc byte[128];
            var r = Libc.WaitId(Libc.P_PIDFD, Fd, info, Libc.WEXITED | Libc.WNOHANG);
            if (r == 0 && *(int*)(info + 16) == 0) return false;
            var (code, status) = r == 0 ? (*(int*)(info + 8), *(int*)(info + 24)) : (0, 0);
            // The leader is gone, so /proc no longer links its descendants: the group is what is left to kill.
            ProcessTree.Signal(processGroup, Libc.SIGKILL);
            foreach (var pipe in pipes)
            {
                Remove(pipe);
                pipe.Drain();
                pipe.Finish();
            }
            Libc.Close(Fd);
            onExit(code, status);
            return true;
        }
    }

    public static void Add(Watch watch)
    {
        watch.Id = (ulong)Interlocked.Increment(ref _nextId);
        Watches[watch.Id] = watch;
        var ev = stackalloc byte[16];
        *(uint*)ev = Libc.EPOLLIN;
        *(ulong*)(ev + Libc.EpollDataOffset) = watch.Id;
        if (Libc.EpollCtl(Epoll, Libc.EPOLL_CTL_ADD, watch.Fd, ev) != 0)
        {
            Watches.TryRemove(watch.Id, out _);
            throw new InvalidOperationException($"epoll_ctl failed: {Libc.ErrorText(Libc.LastError)}");
        }
    }

    private static void Remove(Watch watch)
    {
        if (Watches.TryRemove(watch.Id, out _)) Libc.EpollCtl(Epoll, Libc.EPOLL_CTL_DEL, watch.Fd, null);
    }

    private static void Loop()
    {
        const int max = 64;
        var size = Libc.EpollEventSize;
        var events = stackalloc byte[max * 16];
        while (true)
        {
            var n = Libc.EpollWait(Epoll, events, max, -1);
            if (n < 0) continue;
            for (var i = 0; i < n; i++)
            {
                var ev = events + i * size;
                var id = *(ulong*)(ev + Libc.EpollDataOffset);
                if (!Watches.TryGetValue(id, out var watch)) continue;
                bool finished;
                try { finished = watch.OnReady(*(uint*)ev); }
                catch { finished = true; }
                if (!finished) continue;
                Remove(watch);
                if (watch is OutputPipe pipe) pipe.Finish();
            }
        }
    }
}
