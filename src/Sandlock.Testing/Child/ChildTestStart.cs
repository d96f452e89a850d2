namespace Sandlock.Testing.Child;

/// <summary>
/// In a shared child: the framework's runner calls <see cref="Announce"/> when the test itself is about to start
/// (after the runner's own one-time work, before the test class is made), and the child host then tells the parent
/// and restarts the test's randomness there. Outside a shared child it does nothing.
/// </summary>
internal static class ChildTestStart
{
    private static Action? s_pending;

    /// <summary>Arms the hook for the next test; the first <see cref="Announce"/> runs it, later ones do nothing.</summary>
    public static void Arm(Action start) => Volatile.Write(ref s_pending, start);

    public static void Announce() => Interlocked.Exchange(ref s_pending, null)?.Invoke();
}
