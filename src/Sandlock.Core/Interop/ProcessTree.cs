
namespace Sandlock.Interop;

/// <summary>Signals a sandbox's process group and any descendants that moved to another group.</summary>
internal static class ProcessTree
{
    /// <summary>Kills the group at once; descendants that left it (setsid, setpgid) are found through /proc and killed too.</summary>
    public static void Kill(int processGroup)
    {
        if (processGroup <= 0) return;
        // Freeze the group first: killing one member at a time would let a shell see its child die and carry on
        // before its own turn comes, and the walk below needs the tree to hold still.
        Libc.Kill(-processGroup, Libc.SIGSTOP);
        foreach (var pid in Descendants(processGroup)) Libc.Kill(pid, Libc.SIGKILL);
        Libc.Kill(-processGroup, Libc.SIGKILL);
    }

    /// <summary>The live descendants of <paramref name="root"/>, through /proc/PID/task/TID/children.</summary>
    internal static List<int> Descendants(int root)
    {
        var found = new List<int>();
        var pending = new Stack<int>();
        pending.Push(root);
        while (pending.Count > 0 && found.Count < 100_000)
        {
            var pid = pending.Pop();
            if (!Directory.Exists($"/proc/{pid}/task")) continue;
            string[] tasks;
            try { tasks = Directory.GetDirectories($"/proc/{pid}/task"); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            foreach (var task in tasks)
            {
                string children;
                try { children = File.ReadAllText(Path.Combine(task, "children")); }
                catch (IOException) { continue; }
                catch (UnauthorizedAccessException) { continue; }
                foreach (var child in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (int.TryParse(child, out var c)) { found.Add(c); pending.Push(c); }
            }
        }
        return found;
    }
}
