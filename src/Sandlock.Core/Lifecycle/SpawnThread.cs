using System.Collections.Concurrent;
using Sandlock.Interop;

namespace Sandlock.Lifecycle;

/// <summary>
/// The one thread every sandbox is forked from. PR_SET_PDEATHSIG fires when the forking *thread* exits, so children
/// forked from pool threads could be killed at random; this thread lives as long as the process.
/// </summary>
internal static class SpawnThread
{
    private static readonly BlockingCollection<(SpawnRequest Request, TaskCompletionSource<SpawnOutcome> Done)> Queue = [];

    static SpawnThread()
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "sandlock spawn" };
        thread.Start();
    }

    public static SpawnOutcome Spawn(SpawnRequest request)
    {
        var done = new TaskCompletionSource<SpawnOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add((request, done));
        return done.Task.GetAwaiter().GetResult();
    }

    private static void Loop()
    {
        foreach (var (request, done) in Queue.GetConsumingEnumerable())
        {
            try { done.SetResult(NativeSpawn.Spawn(request)); }
            catch (Exception e) { done.SetException(e); }
        }
    }
}
