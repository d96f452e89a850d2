using System.Collections.Concurrent;
using Sandlock.Interop;

namespace Sandlock.Lifecycle;

/// <summary>
/// One epoll thread for all sandboxes: it waits for child exits (pidfds) and reads captured output pipes, so no
/// thread is blocked per sandbox. Everything about one child (reap, kill the rest of its group, drain and close its
/// pipes) happens on this thread, in that order, so no output written before exit is lost.
/// </summary>
internal static class ChildWatcher
{
    private static readonly EpollSet Epoll = new();
    private static readonly ConcurrentDictionary<ulong, Watch> Watches = new();
    private static long _nextId;

    static ChildWatcher() => new Thread(Loop) { IsBackground = true, Name = "sandlock child watcher" }.Start();

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
            Span<byte> chunk = stackalloc byte[65536];
            while (true)
            {
                var n = ChildProcess.Read(Fd, chunk);
                if (n > 0)
                {
                    var data = chunk[..n];
                    lock (_buffer) _buffer.Write(data);
                    try { observer?.Invoke(data); }
                    catch (Exception) { /* an observer's bug must not stop the capture or the watcher */ }
                    continue;
                }
                return n == 0;
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
            if (ChildProcess.TryReap(Fd) is not var (code, status)) return false;
            // The leader is gone, so /proc no longer links its descendants: the group is what is left to kill.
            Libc.KillGroup(processGroup, Libc.SIGKILL);
            foreach (var pipe in pipes)
            {
                Remove(pipe);
                pipe.Drain();
                pipe.Finish();
            }
            // Out of the epoll set before the close: removing it after, by number, could hit another sandbox's pidfd
            // that was given the same number in between, whose exit would then never be seen.
            Remove(this);
            Libc.Close(Fd);
            onExit(code, status);
            return true;
        }
    }

    public static void Add(Watch watch)
    {
        watch.Id = (ulong)Interlocked.Increment(ref _nextId);
        Watches[watch.Id] = watch;
        try
        {
            Epoll.Add(watch.Fd, watch.Id);
        }
        catch
        {
            Watches.TryRemove(watch.Id, out _);
            throw;
        }
    }

    private static void Remove(Watch watch)
    {
        if (Watches.TryRemove(watch.Id, out _)) Epoll.Remove(watch.Fd);
    }

    private static void Loop()
    {
        var ready = new (ulong Id, uint Events)[64];
        while (true)
        {
            var n = Epoll.Wait(ready);
            for (var i = 0; i < n; i++)
            {
                if (!Watches.TryGetValue(ready[i].Id, out var watch)) continue;
                bool finished;
                try { finished = watch.OnReady(ready[i].Events); }
                catch { finished = true; }
                if (!finished) continue;
                Remove(watch);
                if (watch is OutputPipe pipe) pipe.Finish();
            }
        }
    }
}
