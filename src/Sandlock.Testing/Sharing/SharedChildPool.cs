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
    private readonly Dictionary<SharedChild, Task> _ending = [];
    private readonly Dictionary<(string Scope, string Group), ChildTurns> _turns = [];
    private readonly Dictionary<(string Scope, string Group), Queue<Task<SharedChild?>>> _starting = [];
    private readonly Dictionary<(string Scope, string Group), int> _classesToCome = [];
    private readonly HashSet<(string Scope, string Group, SharingScope Class)> _classesCounted = [];
    private readonly List<Task> _endingLater = [];
    private bool _disposed;

    /// <summary>
    /// At most how many tests of one group may be in their children at once, and so how many children a group has.
    /// xunit lets a collection start its next test whenever the last one awaits, which a test in a child always does:
    /// without a bound every collection of an assembly started a child of its own (20 children for 20 classes on 2
    /// cores). A group gets more than one only when its tests wait longer than a child takes to start (see <see cref="ChildTurns"/>).
    /// </summary>
    public static int MaxChildrenPerGroup { get; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Waits until the group has a child free or room for one; disposing the turn gives it back.</summary>
    public Task<IDisposable> TakeTurnAsync(string scope, string group, CancellationToken cancellationToken) =>
        TurnsOf(scope, group).TakeAsync(cancellationToken);

    private ChildTurns TurnsOf(string scope, string group)
    {
        lock (_gate)
        {
            if (!_turns.TryGetValue((scope, group), out var turns)) _turns[(scope, group)] = turns = new ChildTurns(MaxChildrenPerGroup);
            return turns;
        }
    }

    /// <summary>An idle child of the group, or the one started for it ahead of its first test; null when there is none.</summary>
    public async Task<SharedChild?> TakeIdleAsync(string scope, string group)
    {
        Task<SharedChild?>? starting;
        lock (_gate)
        {
            var at = _idle.FindIndex(e => e.Scope == scope && e.Group == group);
            if (at >= 0)
            {
                var child = _idle[at].Child;
                _idle.RemoveAt(at);
                return child;
            }
            if (!_starting.TryGetValue((scope, group), out var queue)) return null;
            starting = queue.Dequeue();
            if (queue.Count == 0) _starting.Remove((scope, group));
        }
        return await starting.ConfigureAwait(false);
    }

    /// <summary>
    /// A child being started for a group before any of its tests asked (while the framework still sets the run up):
    /// the group's next test without a child takes it, in the order they were started. One that fails to start leaves
    /// the test to start its own, and reports nothing.
    /// </summary>
    public void StartingAhead(string scope, string group, Task<SharedChild?> starting)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                if (!_starting.TryGetValue((scope, group), out var queue)) _starting[(scope, group)] = queue = new Queue<Task<SharedChild?>>();
                queue.Enqueue(starting);
                return;
            }
        }
        _ = EndWhenStartedAsync(starting);
    }

    /// <summary>
    /// The framework knows how many classes of the group will each take a child of <paramref name="scope"/>: children
    /// may then be started ahead for the classes still to come, never more than there are.
    /// </summary>
    public void ExpectClasses(string scope, string group, int classes)
    {
        lock (_gate)
        {
            _classesToCome[(scope, group)] = classes;
            // A test host that runs the assembly again (an IDE's second run) counts its classes anew.
            _classesCounted.RemoveWhere(k => k.Scope == scope && k.Group == group);
        }
    }

    /// <summary>
    /// <paramref name="class"/> of the group took a child: the first time, how many classes are still to come that no
    /// child started ahead is waiting for yet; 0 after (a framework that runs a class's tests one by one asks for each),
    /// and when the framework did not say how many there are (<see cref="ExpectClasses"/>).
    /// </summary>
    public int ClassTookChild(string scope, string group, SharingScope @class)
    {
        lock (_gate)
        {
            if (!_classesToCome.TryGetValue((scope, group), out var toCome) || !_classesCounted.Add((scope, group, @class))) return 0;
            _classesToCome[(scope, group)] = toCome = Math.Max(0, toCome - 1);
            return Math.Max(0, toCome - (_starting.GetValueOrDefault((scope, group))?.Count ?? 0) - _idle.Count(e => e.Scope == scope && e.Group == group));
        }
    }

    /// <summary>How many children the group has started ahead or idle, that its next tests would take.</summary>
    public int ChildrenFor(string scope, string group)
    {
        lock (_gate) return (_starting.GetValueOrDefault((scope, group))?.Count ?? 0) + _idle.Count(e => e.Scope == scope && e.Group == group);
    }

    private static async Task EndWhenStartedAsync(Task<SharedChild?> starting)
    {
        if (await starting.ConfigureAwait(false) is { } child) await child.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A child back from a test: kept for the next test of its group, or ended when it is broken or the pool is.</summary>
    public void Return(string scope, string group, SharedChild child)
    {
        // The group's first child that ran a test tells how long a child takes to be of use.
        if (child.FirstTestAfter is { } cost) TurnsOf(scope, group).ChildReady(cost);
        lock (_gate)
        {
            if (!child.Broken && !_disposed)
            {
                _idle.Add((scope, group, child));
                return;
            }
        }
        EndInBackground(child);
    }

    /// <summary>Ends the children of the group that wait in <paramref name="scope"/>, idle or started ahead, in the background.</summary>
    public void EndWaiting(string scope, string group)
    {
        List<SharedChild> idle;
        Queue<Task<SharedChild?>>? starting;
        lock (_gate)
        {
            idle = [.. _idle.Where(e => e.Scope == scope && e.Group == group).Select(e => e.Child)];
            _idle.RemoveAll(e => e.Scope == scope && e.Group == group);
            _starting.Remove((scope, group), out starting);
        }
        foreach (var child in idle) EndInBackground(child);
        foreach (var task in starting ?? []) EndLater(EndWhenStartedAsync(task));
    }

    /// <summary>A child that ran the one test it was for: it ends in the background; the pool's end still waits for it.</summary>
    public void End(SharedChild child) => EndInBackground(child);

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
        foreach (var child in ending) EndInBackground(child);
    }

    /// <summary>Ends a child without waiting for it; <see cref="EndNow"/> and <see cref="EndScopesAsync"/> still find it until it has ended.</summary>
    private void EndInBackground(SharedChild child)
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate) _ending.Add(child, ended.Task);
        _ = EndAsync();

        async Task EndAsync()
        {
            try { await child.DisposeAsync().ConfigureAwait(false); }
            finally
            {
                lock (_gate) _ending.Remove(child);
                ended.SetResult();
            }
        }
    }

    /// <summary>
    /// Ends <paramref name="pool"/> (a class's, once the class is over) without waiting for it: its children exit and
    /// their folders go while the next classes run; this pool's end waits for it, so the run still leaves nothing.
    /// </summary>
    public void EndAfterwards(SharedChildPool pool)
    {
        EndLater(EndQuietlyAsync(pool));
    }

    /// <summary>An end under way that the pool's own end waits for.</summary>
    private void EndLater(Task ending)
    {
        lock (_gate)
        {
            _endingLater.RemoveAll(t => t.IsCompleted);
            _endingLater.Add(ending);
        }
    }

    // Nobody is left to report to: the class is over, and the run's end must not fail for it.
    private static async Task EndQuietlyAsync(SharedChildPool pool)
    {
        try { await pool.DisposeAsync().ConfigureAwait(false); }
        catch (Exception) { /* its children died with their sandboxes */ }
    }

    private Task EndedLater()
    {
        lock (_gate) return Task.WhenAll(_endingLater);
    }

    /// <summary>
    /// Ends the idle children and those started ahead of the scopes <paramref name="inScope"/> picks, and waits for
    /// them and for those already ending: for a framework whose run is over before its host exits (NUnit's assembly
    /// ends; vstest.console then gives the host 100 ms before it kills it). The pool stays usable.
    /// </summary>
    public Task EndScopesAsync(Func<string, bool> inScope)
    {
        List<SharedChild> ending;
        List<Task<SharedChild?>> starting;
        List<Task> alreadyEnding;
        lock (_gate)
        {
            ending = [.. _idle.Where(e => inScope(e.Scope)).Select(e => e.Child)];
            _idle.RemoveAll(e => inScope(e.Scope));
            var startingScopes = _starting.Keys.Where(k => inScope(k.Scope)).ToList();
            starting = [.. startingScopes.SelectMany(k => _starting[k])];
            foreach (var key in startingScopes) _starting.Remove(key);
            alreadyEnding = [.. _ending.Values];
        }
        return Task.WhenAll([.. ending.Select(c => c.DisposeAsync().AsTask()), .. starting.Select(EndWhenStartedAsync), .. alreadyEnding, EndedLater()]);
    }

    /// <summary>
    /// Kills the idle children, those ending and those started ahead at once (see <see cref="SharedChild.Kill"/>), all of
    /// them before it waits for any; the pool takes no child back after.
    /// </summary>
    public void EndNow()
    {
        List<SharedChild> ending;
        List<Task<SharedChild?>> starting;
        lock (_gate)
        {
            _disposed = true;
            EndTurns();
            ending = [.. _idle.Select(e => e.Child), .. _ending.Keys];
            _idle.Clear();
            starting = [.. _starting.Values.SelectMany(q => q)];
            _starting.Clear();
        }
        foreach (var child in ending) child.Kill();
        // A start takes a fraction of a second; one that has not ended by then is ended when it does.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        var started = new List<SharedChild>();
        foreach (var task in starting)
        {
            try { task.Wait(deadline - DateTime.UtcNow is { Ticks: > 0 } left ? left : TimeSpan.Zero); }
            catch (AggregateException) { /* it started nothing */ }
            if (task.IsCompletedSuccessfully && task.Result is { } child) started.Add(child);
            else _ = EndWhenStartedAsync(task);
        }
        foreach (var child in started) child.Kill();
        foreach (var child in ending.Concat(started)) child.FinishEnding(deadline);
        // Those of pools already ending close their sockets, so their children exit on their own; waited for up to the same deadline.
        EndedLater().Wait(deadline - DateTime.UtcNow is { Ticks: > 0 } remaining ? remaining : TimeSpan.Zero);
    }

    public async ValueTask DisposeAsync()
    {
        List<SharedChild> ending, alreadyEnding;
        List<Task<SharedChild?>> starting;
        lock (_gate)
        {
            _disposed = true;
            EndTurns();
            ending = [.. _idle.Select(e => e.Child)];
            alreadyEnding = [.. _ending.Keys];
            _idle.Clear();
            starting = [.. _starting.Values.SelectMany(q => q)];
            _starting.Clear();
        }
        foreach (var task in starting) await EndWhenStartedAsync(task).ConfigureAwait(false);
        foreach (var child in ending) await child.DisposeAsync().ConfigureAwait(false);
        // Those ending in the background (broken, or of another class) are gone too before the run is over.
        foreach (var child in alreadyEnding) child.Kill();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        foreach (var child in alreadyEnding) child.FinishEnding(deadline);
        await EndedLater().ConfigureAwait(false);
    }

    private void EndTurns()
    {
        foreach (var turns in _turns.Values) turns.Dispose();
    }
}
