using System.Collections.Concurrent;

namespace Sandlock.Supervision.Processes;

/// <summary>
/// Which process a thread belongs to. A held call names its calling thread, and reading the thread's status for the
/// answer cost tens of microseconds of every /proc/self open a child makes; an answer is remembered and trusted again
/// while the thread is still listed among that process's tasks, which one stat tells (an id reused since is read anew).
/// </summary>
internal static class ThreadGroups
{
    // Bounded: a host that runs sandboxes for days sees ever new thread ids.
    private const int MaxRemembered = 4096;
    private static readonly ConcurrentDictionary<int, int> Known = new();

    /// <summary>The thread group (process id) of <paramref name="tid"/>; null when the thread is gone.</summary>
    public static int? Of(int tid) => Of(tid, likely: 0);

    /// <summary>
    /// The thread group of <paramref name="tid"/>, asking first whether it is a thread of <paramref name="likely"/> (a
    /// sandbox's first process, whose threads make most held calls): one stat instead of a status read for every new
    /// thread (a .NET child's threads each name themselves through /proc/self at start).
    /// </summary>
    public static int? Of(int tid, int likely)
    {
        if (tid == likely) return tid;
        if (likely > 0 && Directory.Exists($"/proc/{likely}/task/{tid}")) return likely;
        if (Known.TryGetValue(tid, out var remembered) && Directory.Exists($"/proc/{remembered}/task/{tid}")) return remembered;
        if (ProcessStatus.Read(tid)?.ThreadGroup is not { } process) return null;
        if (Known.Count >= MaxRemembered) Known.Clear();
        Known[tid] = process;
        return process;
    }
}
