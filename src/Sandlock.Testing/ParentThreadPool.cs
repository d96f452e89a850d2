namespace Sandlock.Testing;

/// <summary>
/// Room in the test host's thread pool for the sandboxed tests' async protocol. VSTest's testhost (its message loop)
/// and the framework's adapter (xunit's wait for the run) each hold a pool worker for the whole run, leaving one of the
/// two a 2-CPU host starts with, which a child's synchronous start then takes too: every test's next step waited for
/// the pool's starvation guard, which adds one worker per half second (measured: 500-700 ms stalls, twice per run of
/// a generated Isolation.Assembly suite). xunit's discovery in such a host waits for the guard too, in about half the
/// runs (~0.8 s, plain runs alike), so the sandboxing framework makes the room as xunit creates it, before discovery.
/// Raising the pool's minimum lets it add workers at once when they block.
/// </summary>
internal static class ParentThreadPool
{
    private static int s_raised;

    /// <summary>
    /// The minimum of workers it raises the pool to: the host's held workers, one per child start that may be under way
    /// (up to one per CPU) and the CPUs' own.
    /// </summary>
    public static int WantedWorkers => 2 + 2 * Environment.ProcessorCount;

    /// <summary>Raises the pool's minimum of workers once per process; never lowers it.</summary>
    public static void MakeRoom()
    {
        if (Interlocked.Exchange(ref s_raised, 1) != 0) return;
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        if (workers < WantedWorkers) ThreadPool.SetMinThreads(WantedWorkers, completionPorts);
    }
}
