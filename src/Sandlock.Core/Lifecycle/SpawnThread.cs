using System.Collections.Concurrent;
using Sandlock.Interop;

namespace Sandlock.Lifecycle;

/// <summary>
/// Where every sandbox is forked from. PR_SET_PDEATHSIG fires when the forking *thread* exits, so children forked
/// from pool threads could be killed at random: they fork on a thread that lives as long as the process, the
/// process's main thread when that is the caller (no hand-off, no extra thread: the CLI's case), else one
/// dedicated thread started with the first such spawn. A caller whose thread waits for the command's end (a build
/// task) forks on its own thread: it outlives the child, and the hand-off would cost a wake-up of the spawn thread
/// and a spin of the caller's on every start. The dedicated thread starts nothing but sandboxes, so it empties its
/// own capability bounding set once instead of every child doing it.
/// </summary>
internal static class SpawnThread
{
    public static SpawnOutcome Spawn(SpawnRequest request, ListenerReady? onListener = null, bool callerOutlivesChild = false) =>
        callerOutlivesChild || SystemInfo.ThreadId() == Environment.ProcessId
            ? NativeSpawn.Spawn(request, onListener)
            : Dedicated.Spawn(request, onListener);

    /// <summary>
    /// Runs <paramref name="prepare"/> on the dedicated thread when it is free, without waiting for it: a child
    /// prepared there gets the thread's parent-death signal like any other.
    /// </summary>
    public static Task<T> OnSpawnThreadAsync<T>(Func<T> prepare) => Dedicated.Enqueue(prepare);

    private static class Dedicated
    {
        private sealed class Job(SpawnRequest request, ListenerReady? onListener)
        {
            public SpawnRequest Request { get; } = request;
            public ListenerReady? OnListener { get; } = onListener;
            public SpawnOutcome Outcome { get; set; }
            public Exception? Error { get; set; }
            // A spawn takes a few hundred microseconds: spinning that long is cheaper than a sleep/wake on this VM.
            public ManualResetEventSlim Done { get; } = new(false, spinCount: 2000);

            public void Run()
            {
                try { Outcome = NativeSpawn.Spawn(Request, OnListener); }
                catch (Exception e) { Error = e; }
                Done.Set();
            }
        }

        private static readonly BlockingCollection<Action> Queue = [];

        static Dedicated()
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = "sandlock spawn" };
            thread.Start();
        }

        public static SpawnOutcome Spawn(SpawnRequest request, ListenerReady? onListener)
        {
            var job = new Job(request, onListener);
            Queue.Add(job.Run);
            job.Done.Wait();
            job.Done.Dispose();
            return job.Error is null ? job.Outcome : throw job.Error;
        }

        public static Task<T> Enqueue<T>(Func<T> work)
        {
            var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            Queue.Add(() =>
            {
                try { completion.SetResult(work()); }
                catch (Exception e) { completion.SetException(e); }
            });
            return completion.Task;
        }

        private static void Loop()
        {
            ThreadCapabilities.DropBoundingSet();
            foreach (var job in Queue.GetConsumingEnumerable()) job();
        }
    }
}
