using System.Collections.Concurrent;

namespace Sandlock.Interop;

/// <summary>
/// The process's one epoll set: child exits, captured output, the registry endpoint, seccomp listeners that have
/// not needed a thread of their own yet and the writers of seeded devices' pipes all wait here, so a process running
/// one sandbox (the CLI) does not start a thread for each (a thread start is a few hundred microseconds of a 10 ms
/// run). A thread of its own serves it, started with the first watch; a process that only ever blocks in
/// <see cref="ServeUntil"/> (the CLI, after <see cref="ServeFromWaits"/>) serves it from that wait instead and starts
/// none. Readiness handlers run on whichever thread serves and must not block.
/// </summary>
internal static class EventLoop
{
    internal abstract class Watch(int fd)
    {
        public int Fd { get; } = fd;

        /// <summary>What the fd is watched for: input, or room to write (EPOLLOUT).</summary>
        public virtual uint Events => Libc.EPOLLIN;
        internal ulong Id { get; set; }

        /// <summary>Handles readiness; true when the watch is finished and is to be removed.</summary>
        public abstract bool OnReady(uint events);

        /// <summary>Runs on the loop once the watch was removed because it finished or its handler threw.</summary>
        public virtual void OnFinished() { }
    }

    private const ulong WakeupId = 0;
    private static readonly EpollSet Epoll = new();
    private static readonly LoopWakeup Wakeup = new();
    private static readonly ConcurrentDictionary<ulong, Watch> Watches = new();
    // Held by whoever serves: a waiting caller for the length of its wait, the loop's thread for good once started.
    private static readonly Lock Server = new();
    private static long _nextId;
    private static int _threadStarted;
    private static volatile bool _servedFromWaits;

    static EventLoop() => Epoll.Add(Wakeup.Fd, WakeupId);

    /// <summary>
    /// This process's waits serve the loop (<see cref="ServeUntil"/>), so no thread is started for it until
    /// something waits another way (<see cref="EnsureServed"/>). For a process whose only sandbox is waited on by a
    /// thread that has nothing else to do: until that wait begins, nothing is served (a held call waits for it).
    /// </summary>
    public static void ServeFromWaits() => _servedFromWaits = true;

    public static void Add(Watch watch)
    {
        watch.Id = (ulong)Interlocked.Increment(ref _nextId);
        Watches[watch.Id] = watch;
        try
        {
            Epoll.Add(watch.Fd, watch.Id, watch.Events);
        }
        catch
        {
            Watches.TryRemove(watch.Id, out _);
            throw;
        }
        if (!_servedFromWaits) EnsureServed();
    }

    /// <summary>Takes a watch out of the set; a watch removed already is left alone. Call it before closing the fd.</summary>
    public static void Remove(Watch watch)
    {
        // By id, not by fd: the fd's number may belong to another watch by now.
        if (Watches.TryRemove(watch.Id, out _)) Epoll.Remove(watch.Fd);
    }

    /// <summary>For a wait that does not serve the loop itself (an await): the loop gets its thread if it has none.</summary>
    public static void EnsureServed()
    {
        if (Volatile.Read(ref _threadStarted) != 0 || Interlocked.Exchange(ref _threadStarted, 1) != 0) return;
        new Thread(ServeForever) { IsBackground = true, Name = "sandlock events" }.Start();
    }

    /// <summary>
    /// Serves the loop on the calling thread until <paramref name="task"/> has completed, when nothing else serves
    /// it; otherwise makes sure something does and returns at once. The caller then blocks on the task as usual. A
    /// task completed by a handler ends the wait; one completed on another thread needs <see cref="Wake"/>.
    /// </summary>
    public static void ServeUntil(Task task)
    {
        if (task.IsCompleted) return;
        if (Volatile.Read(ref _threadStarted) != 0 || !Server.TryEnter())
        {
            // Another waiter serves now but may be done before this task is: the thread takes over from it.
            EnsureServed();
            return;
        }
        try
        {
            var ready = new (ulong Id, uint Events)[64];
            while (!task.IsCompleted) Dispatch(ready);
        }
        finally
        {
            Server.Exit();
        }
    }

    /// <summary>Ends a <see cref="ServeUntil"/>'s epoll wait: for whoever completes its task on another thread.</summary>
    public static void Wake() => Wakeup.Set();

    private static void ServeForever()
    {
        // A caller serving at this moment finishes its wait first.
        Server.Enter();
        var ready = new (ulong Id, uint Events)[64];
        while (true) Dispatch(ready);
    }

    private static void Dispatch((ulong Id, uint Events)[] ready)
    {
        var n = Epoll.Wait(ready);
        for (var i = 0; i < n; i++)
        {
            if (ready[i].Id == WakeupId)
            {
                Wakeup.Drain();
                continue;
            }
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
