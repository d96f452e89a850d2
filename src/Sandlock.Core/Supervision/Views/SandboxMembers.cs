using Sandlock.Interop;

namespace Sandlock.Supervision.Views;

/// <summary>
/// Which processes belong to a sandbox: the processes of its roots (its first process and, for a fork template, the
/// clones the supervisor adopted) and the descendants still linked to them.
/// </summary>
internal static class SandboxMembers
{
    /// <summary>True when the process (or thread) <paramref name="pid"/> descends from <paramref name="root"/>.</summary>
    public static bool Contains(int root, int pid) => Contains(r => r == root, pid);

    /// <summary>True when the process (or thread) <paramref name="pid"/> descends from a process <paramref name="isRoot"/> accepts.</summary>
    public static bool Contains(Func<int, bool> isRoot, int pid)
    {
        // Walk up the parent links; an orphan re-parented outside the sandbox is no longer recognised.
        for (var hops = 0; pid > 1 && hops < 256; hops++)
        {
            if (ProcessStatus.Read(pid) is not { } status) return false;
            if (isRoot(status.ThreadGroup) || isRoot(pid)) return true;
            pid = status.Parent;
        }
        return false;
    }

    /// <summary>The live process ids of the sandbox, its first process included.</summary>
    public static IEnumerable<int> All(int root) =>
        Directory.Exists($"/proc/{root}") ? [root, .. ProcessTree.Descendants(root)] : [];

    /// <summary>The live process ids of every root's tree.</summary>
    public static IEnumerable<int> All(IEnumerable<int> roots) => roots.SelectMany(All).Distinct();
}
