using System.Globalization;
using Sandlock.Interop;
using Sandlock.Supervision.Lifetime;

namespace Sandlock.Lifecycle;

/// <summary>
/// Kills what is left of a sandbox once its first process is gone, and returns when none of it runs any more: every
/// live process in the sandbox's group or in a group or session its processes made. Orphans re-parented outside
/// the tree are found this way, through /proc.
/// </summary>
internal static class Stragglers
{
    // A forking straggler adds members between a scan and its kill, and a killed one shows until it has exited;
    // killed ones fork no more, so this converges.
    private const int MaxRounds = 50;

    /// <summary>
    /// Whether anything may be left to kill: a group or session the sandbox made, or a member of its own group (a
    /// zombie counts, which a scan then skips).
    /// </summary>
    public static bool MayRemain(int processGroup, SandboxProcessGroups? made) =>
        made is { IsEmpty: false } || (processGroup > 0 && Libc.Kill(-processGroup, 0) == 0);

    public static void Kill(int processGroup, SandboxProcessGroups? made)
    {
        var groups = (made?.Groups ?? []).ToHashSet();
        var sessions = (made?.Sessions ?? []).ToHashSet();
        for (var round = 0; round < MaxRounds; round++)
        {
            var found = 0;
            foreach (var pid in LiveMembers(processGroup, groups, sessions))
            {
                Libc.Kill(pid, Libc.SIGKILL);
                found++;
            }
            if (found == 0) return;
            Thread.Sleep(1);
        }
    }

    private static IEnumerable<int> LiveMembers(int processGroup, HashSet<int> groups, HashSet<int> sessions)
    {
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (Supervision.ProcessStat.Read(pid) is not { State: var state, Group: var group, Session: var session }) continue;
            if (state is 'Z' or 'X') continue;
            // The sandbox's own group id is its first process's pid, which stays taken while the group has members.
            if (group == processGroup)
            {
                yield return pid;
                continue;
            }
            if (!groups.Contains(group) && !sessions.Contains(session)) continue;
            // A group or session id is only reused once all its members are gone; a sandbox process is still under
            // its seccomp filter, which rules out a host process that got a recycled id.
            if (Supervision.ProcessStatus.Read(pid) is { SeccompFiltered: true }) yield return pid;
        }
    }
}
