using System.Collections.Concurrent;
using Sandlock.Interop;

namespace Sandlock.Lifecycle;

/// <summary>
/// The one thread every sandbox is forked from. PR_SET_PDEATHSIG fires when the forking *thread* exits, so children
/// forked from pool threads could be killed at random; this thread lives as long as the process.
/// </summary>
internal static class SpawnThread
{
    private sealed class Job(SpawnRequest request, ListenerReady? onListener)
    {
        public SpawnRequest Request { get; } = request;
        public ListenerReady? OnListener { get; } = onListener;
        public SpawnOutcome Outcome { get; set; }
        public Exception? Error { get; set; }
        // A spawn takes a few hundred microseconds: spinning that long is cheaper than a sleep/wake on this VM.
        public ManualResetEventSlim Done { get; } = new(false, spinCount: 2000);
    }

    private static readonly BlockingCollection<Job> Queue = [];

    static SpawnThread()
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "sandlock spawn" };
        thread.Start();
    }

    public static SpawnOutcome Spawn(SpawnRequest request, ListenerReady? onListener = null)
    {
        var job = new Job(request, onListener);
        Queue.Add(job);
        job.Done.Wait();
        job.Done.Dispose();
        return job.Error is null ? job.Outcome : throw job.Error;
    }

    private static void Loop()
    {
        foreach (var job in Queue.GetConsumingEnumerable())
        {
            try { job.Outcome = NativeSpawn.Spawn(job.Request, job.OnListener); }
            catch (Exception e) { job.Error = e; }
            job.Done.Set();
        }
    }
}
