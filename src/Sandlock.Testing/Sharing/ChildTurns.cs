using System.Diagnostics;

namespace Sandlock.Testing.Sharing;

/// <summary>
/// The turns of one policy group: how many of its tests may be in children at once, and so how many children it has.
/// A group starts with one child; it gets another (up to one per CPU) only when a test has waited for a turn longer
/// than the group's first child took from its start to the end of its first test, measured from when that child
/// was ready, and only while a processor was left idle: a run of short tests never pays for a second child (on a
/// small machine its start costs more than the tests it would take over), and neither does a machine kept busy by
/// the tests (a second child there only takes processor time from the first); a run of long tests that wait gets one
/// per CPU. Waiters get their turns first come, first served.
/// </summary>
internal sealed class ChildTurns : IDisposable
{
    private readonly Lock _gate = new();
    private readonly int _maxChildren;
    private readonly LinkedList<Waiter> _waiters = [];
    private readonly Timer _growth;
    private readonly Func<double> _idleProcessors;
    private long _nextCheck;
    private int _children = 1;
    private int _inUse;
    private TimeSpan? _startCost;
    private long _readySince;
    private bool _disposed;

    /// <param name="idleProcessors">How many processors were idle since its last call (<see cref="IdleProcessors"/> when null).</param>
    public ChildTurns(int maxChildren, Func<double>? idleProcessors = null)
    {
        _maxChildren = maxChildren;
        _idleProcessors = idleProcessors ?? new IdleProcessors().SinceLastCall;
        _growth = new Timer(_ => Grow());
    }

    /// <summary>How many children the group may have now (for tests of this policy).</summary>
    public int Children
    {
        get { lock (_gate) return _children; }
    }

    /// <summary>Waits for a turn; disposing it gives it back (to the longest waiter, if any).</summary>
    public async Task<IDisposable> TakeAsync(CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (_inUse < _children)
            {
                _inUse++;
                return new Turn(this);
            }
            waiter = new Waiter(Stopwatch.GetTimestamp());
            waiter.Node = _waiters.AddLast(waiter);
            ArmGrowth();
        }
        using (cancellationToken.Register(() => Abandon(waiter)))
            await waiter.Granted.Task.ConfigureAwait(false);
        return new Turn(this);
    }

    /// <summary>The first child of the group ran its first test after <paramref name="cost"/> from its start.</summary>
    public void ChildReady(TimeSpan cost)
    {
        lock (_gate)
        {
            if (_startCost is not null) return;
            _startCost = cost;
            _readySince = Stopwatch.GetTimestamp();
            // The idle time counts from here.
            _idleProcessors();
            ArmGrowth();
        }
    }

    private void Give()
    {
        lock (_gate)
        {
            if (_waiters.First is { } first)
            {
                _waiters.RemoveFirst();
                first.Value.Node = null;
                first.Value.Granted.TrySetResult();
                ArmGrowth();
                return;
            }
            _inUse--;
        }
    }

    private void Abandon(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Node is null) return;
            _waiters.Remove(waiter.Node);
            waiter.Node = null;
        }
        waiter.Granted.TrySetCanceled();
    }

    /// <summary>Sets the timer for when the longest waiter will have waited a child's start; stops it when nobody waits or the group is full.</summary>
    private void ArmGrowth()
    {
        if (_disposed) return;
        if (_startCost is not { } cost || _waiters.First is not { } first || _children >= _maxChildren)
        {
            _growth.Change(Timeout.Infinite, Timeout.Infinite);
            return;
        }
        var waited = Stopwatch.GetElapsedTime(Math.Max(first.Value.Since, _readySince));
        var left = cost - waited;
        var untilCheck = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _nextCheck);
        if (untilCheck > left) left = untilCheck;
        _growth.Change(left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void Grow()
    {
        lock (_gate)
        {
            if (_disposed || _startCost is not { } cost || _waiters.First is not { } first || _children >= _maxChildren) return;
            if (Stopwatch.GetElapsedTime(Math.Max(first.Value.Since, _readySince)) < cost || Stopwatch.GetTimestamp() < _nextCheck)
            {
                ArmGrowth();
                return;
            }
            // No processor to spare since the last look: look again after another start's time (at least a tenth of a second).
            if (_idleProcessors() < 1)
            {
                _nextCheck = Stopwatch.GetTimestamp() + (long)(Math.Max(cost.TotalSeconds, 0.1) * Stopwatch.Frequency);
                ArmGrowth();
                return;
            }
            // The longest waiter takes the new child's turn; the next one's patience starts now.
            _children++;
            _inUse++;
            _waiters.RemoveFirst();
            first.Value.Node = null;
            first.Value.Granted.TrySetResult();
            _readySince = Stopwatch.GetTimestamp();
            ArmGrowth();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _growth.Dispose();
        }
    }

    private sealed class Waiter(long since)
    {
        public long Since { get; } = since;
        public LinkedListNode<Waiter>? Node { get; set; }
        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Turn(ChildTurns turns) : IDisposable
    {
        private int _given;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _given, 1) == 0) turns.Give();
        }
    }
}
