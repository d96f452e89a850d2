using System.Collections.Concurrent;
using Sandlock.Policy.Learning;

namespace Sandlock.Supervision.Learning;

/// <summary>
/// Collects what the observers of one run see, from any supervisor thread. Each kind of record is kept once; past
/// <see cref="MaxRecords"/> distinct paths a run is reported as cut short rather than grown without end.
/// </summary>
internal sealed class RunRecorder
{
    public const int MaxRecords = 100_000;

    private readonly ConcurrentDictionary<ObservedPath, byte> _paths = new();
    private readonly ConcurrentDictionary<ObservedDestination, byte> _destinations = new();
    private readonly ConcurrentDictionary<ObservedBind, byte> _binds = new();
    private readonly ConcurrentQueue<string> _programs = new();
    private long _peakResident, _peakData, _peakTasks;
    private volatile bool _truncated;

    /// <summary>Set once a kind of record reached <see cref="MaxRecords"/> and later ones were dropped.</summary>
    public bool Truncated => _truncated;

    public void Path(ObservedPath path) => Add(_paths, path);

    public void Destination(ObservedDestination destination) => Add(_destinations, destination);

    public void Bind(ObservedBind bind) => Add(_binds, bind);

    public void Program(string path)
    {
        if (_programs.Count < MaxRecords) _programs.Enqueue(path);
    }

    public void Resident(long bytes) => Raise(ref _peakResident, bytes);

    public void ProcessData(long bytes) => Raise(ref _peakData, bytes);

    public void Tasks(int count) => Raise(ref _peakTasks, count);

    public ObservedRun ToRun(IReadOnlyList<string> command) => new(
        [command],
        [.. _paths.Keys.OrderBy(p => p.Path, StringComparer.Ordinal).ThenBy(p => p.Use)],
        [.. _destinations.Keys],
        [.. _binds.Keys],
        [.. _programs.Distinct()],
        Interlocked.Read(ref _peakResident),
        Interlocked.Read(ref _peakData),
        (int)Interlocked.Read(ref _peakTasks),
        _truncated);

    private void Add<T>(ConcurrentDictionary<T, byte> records, T record) where T : notnull
    {
        if (records.Count >= MaxRecords) { _truncated = true; return; }
        records.TryAdd(record, 0);
    }

    private static void Raise(ref long peak, long value)
    {
        var seen = Interlocked.Read(ref peak);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref peak, value, seen);
            if (was == seen) return;
            seen = was;
        }
    }
}
