namespace Sandlock.Build;

/// <summary>
/// Carries output lines from the sandbox's watcher thread to the task's thread, which alone logs them (MSBuild
/// logging and Exec's ConsoleOutput list expect the task thread), in the order they arrived across both streams.
/// </summary>
internal sealed class OutputQueue : IDisposable
{
    /// <summary>A class, not a tuple: a queue and list of tuples are framework generics a fresh build node JIT-compiles.</summary>
    public sealed record OutputLine(bool IsError, string Line);

    private readonly Lock _gate = new();
    private readonly Queue<OutputLine> _lines = new();

    /// <summary>Set while lines wait to be taken.</summary>
    public ManualResetEvent Available { get; } = new(false);

    public void Add(bool isError, string line)
    {
        lock (_gate)
        {
            _lines.Enqueue(new OutputLine(isError, line));
            Available.Set();
        }
    }

    public OutputLine[] TakeAll()
    {
        lock (_gate)
        {
            var taken = _lines.ToArray();
            _lines.Clear();
            Available.Reset();
            return taken;
        }
    }

    public void Dispose() => Available.Dispose();
}
