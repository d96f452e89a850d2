using System.Collections.Concurrent;

namespace Sandlock.Supervision.Lifetime;

/// <summary>
/// The clones of a fork template whose syscalls this session serves (docs/fork-protocol.md). A clone is forked with
/// CLONE_PARENT, so it is the supervisor's child and no descendant of the template: its tree is a second root of the
/// sandbox, counted by the /proc view and by calls naming a pid once the supervisor has adopted it. What the
/// supervisor denies a clone's tree is attributed to that clone (and stays in the template's result too).
/// </summary>
internal sealed class CloneMembers
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, ConcurrentQueue<Denial>> _clones = [];
    // Denials of a clone not adopted yet: it runs from the fork on, before the template's answer reaches the supervisor.
    private readonly Dictionary<int, List<Denial>> _unclaimed = [];
    private static readonly int Supervisor = Environment.ProcessId;

    public IReadOnlyList<int> Roots
    {
        get { lock (_gate) return [.. _clones.Keys]; }
    }

    public bool Contains(int pid)
    {
        lock (_gate) return _clones.ContainsKey(pid);
    }

    /// <summary>Adopts a clone: from now on its tree is the sandbox's, and its denials (those made before included) go to <paramref name="denials"/>.</summary>
    public void Add(int pid, ConcurrentQueue<Denial> denials)
    {
        lock (_gate)
        {
            if (_unclaimed.Remove(pid, out var early))
                foreach (var denial in early) denials.Enqueue(denial);
            _clones[pid] = denials;
        }
    }

    /// <summary>The clone has been reaped: its pid may name another process from now on.</summary>
    public void Remove(int pid)
    {
        lock (_gate)
        {
            _clones.Remove(pid);
            _unclaimed.Remove(pid);
        }
    }

    /// <summary>
    /// Finds the clone whose tree made the denied call by walking up from the caller (alive: it waits for the answer).
    /// The walk ends at the template (its own), at an adopted clone, or at a child of the supervisor not adopted yet,
    /// which only a clone is among the processes of this sandbox; a caller orphaned to init stays the template's alone.
    /// </summary>
    public void Attribute(Denial denial, int templatePid)
    {
        var pid = denial.Pid;
        for (var hops = 0; pid > 1 && hops < 256; hops++)
        {
            if (ProcessStatus.Read(pid) is not { } status) return;
            var process = status.ThreadGroup;
            if (process == templatePid) return;
            lock (_gate)
            {
                if (_clones.TryGetValue(process, out var denials))
                {
                    denials.Enqueue(denial);
                    return;
                }
                if (status.Parent == Supervisor)
                {
                    if (!_unclaimed.TryGetValue(process, out var early)) _unclaimed[process] = early = [];
                    early.Add(denial);
                    return;
                }
            }
            pid = status.Parent;
        }
    }
}
