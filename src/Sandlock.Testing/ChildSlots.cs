namespace Sandlock.Testing;

/// <summary>
/// How many children of the short-lived kinds may be at work at once in this test host: a fresh child per test, and
/// a class's shared child while it starts and runs the class's tests. One per CPU, as many tests as the framework
/// runs at once by default. Without it every class had its child at once (xunit runs the collections whose tests
/// await a child side by side): 30 .NET starts on 2 CPUs thrashed, and memory grew with the number of classes. An
/// assembly's shared children are not counted: a group has at most one per CPU already, and one stays idle between
/// batches, which must not hold a slot another class's test waits for.
/// </summary>
internal static class ChildSlots
{
    /// <summary>How many children may be at work at once.</summary>
    public static int Count { get; } = Math.Max(1, Environment.ProcessorCount);

    private static readonly SemaphoreSlim Slots = new(Count);

    /// <summary>How many children are at work now.</summary>
    public static int InUse => Count - Slots.CurrentCount;

    /// <summary>Waits for a slot; disposing the result gives it back.</summary>
    public static async Task<IDisposable> TakeAsync(CancellationToken cancellationToken)
    {
        await Slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Slot();
    }

    private sealed class Slot : IDisposable
    {
        private int _given;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _given, 1) == 0) Slots.Release();
        }
    }
}
