namespace Sandlock.Build;

/// <summary>
/// Carries output lines from the sandbox's watcher thread to the task's thread, which alone logs them (MSBuild
/// logging and Exec's ConsoleOutput list expect the task thread), in the order they arrived across both streams.
/// </summary>
internal sealed class OutputQueue : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<(bool IsError, string Line)> _lines = new();

    /// <summary>Set while lines wait to be taken.</summary>
    public ManualResetEvent Available { get; } = new(false);

    public void Add(bool isError, string line)
    {
        lock (_gate)
        {
            _lines.Enqueue((isError, line));
            Available.Set();
        }
    }

    public List<(bool IsError, string Line)> TakeAll()
    {
        lock (_gate)
        {
            var taken = _lines.ToList();
            _lines.Clear();
            Available.Reset();
            return taken;
        }
    }

    public void Dispose() => Available.Dispose();
}
