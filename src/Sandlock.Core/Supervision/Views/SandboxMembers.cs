using Sandlock.Interop;

namespace Sandlock.Supervision.Views;

/// <summary>Which processes belong to a sandbox: its first process and the descendants still linked to it.</summary>
internal static class SandboxMembers
{
    /// <summary>True when the process (or thread) <paramref name="pid"/> descends from <paramref name="root"/>.</summary>
    public static bool Contains(int root, int pid)
    {
        // Walk up the parent links; an orphan re-parented outside the sandbox is no longer recognised.
        for (var hops = 0; pid > 1 && hops < 256; hops++)
        {
            if (ProcessStatus.Read(pid) is not { } status) return false;
            if (status.ThreadGroup == root || pid == root) return true;
            pid = status.Parent;
        }
        return false;
    }

    /// <summary>The live process ids of the sandbox, its first process included.</summary>
    public static IEnumerable<int> All(int root) =>
        Directory.Exists($"/proc/{root}") ? [root, .. ProcessTree.Descendants(root)] : [];
}
