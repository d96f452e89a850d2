namespace Sandlock.Testing.Sharing;

/// <summary>
/// The idle shared children of a scope (a class run, an assembly run), by policy group. A test takes an idle child
/// of its group or starts one; tests that run at the same time (parallel xunit collections) each get their own.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SharedChildPool : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<(string Scope, string Group, SharedChild Child)> _idle = [];
    private bool _disposed;

    public SharedChild? TakeIdle(string scope, string group)
    {
        lock (_gate)
        {
            var at = _idle.FindIndex(e => e.Scope == scope && e.Group == group);
            if (at < 0) return null;
            var child = _idle[at].Child;
            _idle.RemoveAt(at);
            return child;
        }
    }

    /// <summary>A child back from a test: kept for the next test of its group, or ended when it is broken or the pool is.</summary>
    public void Return(string scope, string group, SharedChild child)
    {
        lock (_gate)
        {
            if (!child.Broken && !_disposed)
            {
                _idle.Add((scope, group, child));
                return;
            }
        }
        _ = child.DisposeAsync().AsTask();
    }

    /// <summary>
    /// Ends the idle children of other scopes: for a framework that gives no end-of-class hook (NUnit), a class's
    /// children end when another class starts using the pool.
    /// </summary>
    public void EndIdleOutside(string scope)
    {
        List<SharedChild> ending;
        lock (_gate)
        {
            ending = [.. _idle.Where(e => e.Scope != scope).Select(e => e.Child)];
            _idle.RemoveAll(e => e.Scope != scope);
        }
        foreach (var child in ending) _ = child.DisposeAsync().AsTask();
    }

    public async ValueTask DisposeAsync()
    {
        List<SharedChild> ending;
        lock (_gate)
        {
            _disposed = true;
            ending = [.. _idle.Select(e => e.Child)];
            _idle.Clear();
        }
        foreach (var child in ending) await child.DisposeAsync().ConfigureAwait(false);
    }
}
