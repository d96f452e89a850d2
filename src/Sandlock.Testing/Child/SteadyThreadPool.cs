using Sandlock.Policy;

namespace Sandlock.Testing.Child;

/// <summary>
/// Keeps a seeded child's draws in a fixed order. The runtime serves Guid.NewGuid, Random and the thread pool's
/// per-thread generators from one /dev/urandom fd, and every pool worker draws 32 bytes from it when it first runs
/// work: a worker added while a test runs (hill climbing, a retired one made again) moves the test's Guids along
/// the stream, more so on a loaded machine. So the child's workers are made before the first test, never retire,
/// and hill climbing adds none; the starvation guard still does when a test blocks every worker, and such a test's
/// draws may then vary.
/// </summary>
internal static class SteadyThreadPool
{
    private static readonly KeyValuePair<string, string>[] Settings =
    [
        new("DOTNET_ThreadPool_ThreadsToKeepAlive", "-1"),
        new("DOTNET_HillClimbing_Disable", "1"),
    ];

    /// <summary>The child's policy with the runtime settings above, unless the test's policy sets them itself.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static SandboxPolicy For(SandboxPolicy policy)
    {
        var env = policy.Env;
        foreach (var (name, value) in Settings)
            if (!env.ContainsKey(name)) env = env.Add(name, value);
        return policy with { Env = env };
    }

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
