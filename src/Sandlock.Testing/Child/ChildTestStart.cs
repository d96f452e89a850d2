namespace Sandlock.Testing.Child;

/// <summary>
/// In a shared child: the framework's runner calls <see cref="Announce()"/> when the test itself is about to start
/// (after the runner's own one-time work, before the test class is made), and the child host then tells the parent
/// and restarts the test's randomness there. Outside a shared child it does nothing.
/// </summary>
internal static class ChildTestStart
{
    private static Action? s_pending;
    private static Func<string, bool>? s_batch;

    /// <summary>Arms the hook for the next test; the first <see cref="Announce()"/> runs it, later ones do nothing.</summary>
    public static void Arm(Action start) => Volatile.Write(ref s_pending, start);

    /// <summary>
    /// While a batch runs as one run of its framework: each test's start, by its id, until armed with null; false
    /// when the test must not run (not the batch's, out of its order, or the sandbox could not set it up).
    /// </summary>
    public static void ArmBatch(Func<string, bool>? starting) => Volatile.Write(ref s_batch, starting);

    public static void Announce() => Interlocked.Exchange(ref s_pending, null)?.Invoke();

    /// <summary>The test <paramref name="testId"/> is about to start: false when it must not run.</summary>
    public static bool Announce(string testId)
    {
        if (Volatile.Read(ref s_batch) is { } batch) return batch(testId);
        Announce();
        return true;
    }
}
