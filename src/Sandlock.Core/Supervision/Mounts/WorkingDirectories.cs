using System.Collections.Concurrent;

namespace Sandlock.Supervision.Mounts;

/// <summary>
/// Working directories in a mount that the kernel could not be moved to. Only the kernel moves a working directory,
/// along a path it can walk, and a mount point is not one; a chdir there is recorded here instead and answered as
/// done, and the supervisor resolves the process's relative paths and getcwd from it. A process inherits its parent's
/// at first sight (as a fork would); a chdir the kernel does, or an fchdir, makes the kernel's the one again.
/// </summary>
internal sealed class WorkingDirectories
{
    // By thread group (threads share a working directory), with the start time that tells a reused pid apart.
    private readonly ConcurrentDictionary<int, (string? Path, ulong Started)> _byProcess = new();

    /// <summary>The caller's recorded working directory (a path inside the sandbox), or null when the kernel's holds.</summary>
    public string? Of(int tid)
    {
        if (_byProcess.IsEmpty || Processes.ThreadGroups.Of(tid) is not { } process) return null;
        var unseen = new List<(int Pid, ulong Started)>();
        string? path = null;
        for (var pid = process; pid > 1 && unseen.Count < 64;)
        {
            if (ProcessStat.Read(pid) is not { } stat) break;
            if (_byProcess.TryGetValue(pid, out var entry) && entry.Started == stat.StartTime)
            {
                path = entry.Path;
                break;
            }
            unseen.Add((pid, stat.StartTime));
            pid = stat.Parent;
        }
        // What a process inherits is fixed when it is first seen, not whatever its parent does later.
        foreach (var (pid, started) in unseen) _byProcess.TryAdd(pid, (path, started));
        return path;
    }

    /// <summary>Records the caller's working directory: a path in a mount, or null once the kernel's is right again.</summary>
    public void Set(int tid, string? path)
    {
        if (path is null && _byProcess.IsEmpty) return;
        if (Processes.ThreadGroups.Of(tid) is not { } process || ProcessStat.Read(process) is not { } stat) return;
        _byProcess[process] = (path, stat.StartTime);
    }
}
