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
            if (Status(pid) is not var (tgid, parent)) return false;
            if (tgid == root || pid == root) return true;
            pid = parent;
        }
        return false;
    }

    /// <summary>The process a thread belongs to, or null when it is gone.</summary>
    public static int? ThreadGroup(int tid) => Status(tid)?.Tgid;

    /// <summary>The live process ids of the sandbox, its first process included.</summary>
    public static IEnumerable<int> All(int root) =>
        Directory.Exists($"/proc/{root}") ? [root, .. Lifecycle.ProcessTree.Descendants(root)] : [];

    private static (int Tgid, int Parent)? Status(int pid)
    {
        int? tgid = null, parent = null;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Tgid:", StringComparison.Ordinal)) tgid = int.Parse(line.AsSpan(5));
                else if (line.StartsWith("PPid:", StringComparison.Ordinal)) { parent = int.Parse(line.AsSpan(5)); break; }
            }
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        return tgid is { } t && parent is { } p ? (t, p) : null;
    }
}
