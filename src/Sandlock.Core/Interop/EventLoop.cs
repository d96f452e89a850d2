using System.Collections.Concurrent;

namespace Sandlock.Interop;

/// <summary>
/// The process's one epoll thread: child exits, captured output, the registry endpoint and seccomp listeners that
/// have not needed a thread of their own yet all wait here, so a process running one sandbox (the CLI) starts one
/// thread for them instead of one each (a thread start is a few hundred microseconds of a 10 ms run). Readiness
/// handlers run on this thread and must not block.
/// </summary>
internal static class EventLoop
{
    internal abstract class Watch(int fd)
    {
        public int Fd { get; } = fd;
        internal ulong Id { get; set; }

        /// <summary>Handles readiness; true when the watch is finished and is to be removed.</summary>
        public abstract bool OnReady(uint events);

        /// <summary>Runs on the loop once the watch was removed because it finished or its handler threw.</summary>
        public virtual void OnFinished() { }
    }

    private static readonly EpollSet Epoll = new();
    private static readonly ConcurrentDictionary<ulong, Watch> Watches = new();
    private static long _nextId;

    static EventLoop() => new Thread(Loop) { IsBackground = true, Name = "sandlock events" }.Start();

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

    /// <summary>Takes a watch out of the set; a watch removed already is left alone. Call it before closing the fd.</summary>
    public static void Remove(Watch watch)
    {
        // By id, not by fd: the fd's number may belong to another watch by now.
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
                try { watch.OnFinished(); }
                catch { /* one watch's fault must not stop the loop every sandbox of the process depends on */ }
            }
        }
    }
}
