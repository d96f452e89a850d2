using Sandlock.Policy;

namespace Sandlock.Testing.Child;

/// <summary>
/// The thread pool of a test child. Its draws come in a fixed order: the runtime serves Guid.NewGuid, Random and the
/// pool's per-thread generators from one /dev/urandom fd, and every pool worker draws 32 bytes from it when it first runs
/// work: a worker added while a test runs (hill climbing, a retired one made again) moves the test's Guids along
/// the stream, more so on a loaded machine. So the child's workers are made before the first test, never retire,
/// and hill climbing adds none; the starvation guard still does when a test blocks every worker, and such a test's
/// draws may then vary. And no spinning: an idle worker yields the CPU in a loop before it sleeps, which was a quarter
/// of a shared child's CPU between its tests, taken from the tests of the other children.
/// </summary>
internal static class ChildThreadPool
{
    private static readonly KeyValuePair<string, string>[] Settings =
    [
        new("DOTNET_ThreadPool_ThreadsToKeepAlive", "-1"),
        new("DOTNET_HillClimbing_Disable", "1"),
        new("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", "0"),
    ];

    /// <summary>The child's policy with the runtime settings above, unless the test's policy sets them itself.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static SandboxPolicy For(SandboxPolicy policy) => ChildRuntimeSettings.WithDefaults(policy, Settings);

    /// <summary>Runs work on as many workers as the pool keeps at least, at once, so each has drawn before any test.</summary>
    public static void MakeWorkers()
    {
        ThreadPool.GetMinThreads(out var workers, out _);
        // A monitor, not an event: nothing to dispose while a worker may still be waking from it.
        var gate = new object();
        var arrived = 0;
        for (var i = 0; i < workers; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                lock (gate)
                {
                    arrived++;
                    Monitor.PulseAll(gate);
                    while (arrived < workers) Monitor.Wait(gate);
                }
            }, null);
        }
        lock (gate)
        {
            while (arrived < workers) Monitor.Wait(gate);
        }
    }
}
