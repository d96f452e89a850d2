using System.Diagnostics;
using Sandlock.Interop;

namespace Sandlock.Lifecycle.Registry;

/// <summary>What an owner tells about one of its running sandboxes, read at the moment it is asked.</summary>
internal static class RunningSandboxReport
{
    public static SandboxDetails Describe(SandboxRegistry.Entry entry, bool full)
    {
        var sandbox = entry.Sandbox;
        var (denials, heldCounts) = sandbox.LiveState();
        var pid = sandbox.Pid ?? 0;
        return new SandboxDetails
        {
            Id = entry.Id,
            Name = sandbox.Policy.Name,
            Pid = pid,
            OwnerPid = Environment.ProcessId,
            Command = sandbox.Command,
            Started = entry.Started,
            UptimeSeconds = Math.Round(Stopwatch.GetElapsedTime(entry.StartTimestamp).TotalSeconds, 3),
            PolicySummary = PolicyDescription.Summary(sandbox.Policy),
            DenialCount = denials.Count,
            Policy = full ? PolicyDescription.Settings(sandbox.Policy) : null,
            Processes = full ? Processes(pid) : null,
            Denials = full ? [.. denials.Select(d => d.ToString())] : null,
            PortMappings = full ? [.. sandbox.PortMappings.Select(m => m.ToString())] : null,
            HeldSyscallCounts = full ? heldCounts : null,
        };
    }

    /// <summary>The sandbox's root process and its live descendants, each with its parent and command line.</summary>
    private static List<ProcessEntry> Processes(int root)
    {
        var processes = new List<ProcessEntry>();
        if (root <= 0) return processes;
        foreach (var pid in (IEnumerable<int>)[root, .. ProcessTree.Descendants(root)])
        {
            if (ParentOf(pid) is not { } parent) continue;
            processes.Add(new ProcessEntry(pid, parent, CommandLineOf(pid)));
        }
        return processes;
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            // pid (comm) state ppid ...: comm may hold spaces and parentheses, so count from the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 1 && int.TryParse(fields[1], out var parent) ? parent : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static string CommandLineOf(int pid)
    {
        try
        {
            var line = File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Replace('\0', ' ');
            return line.Length > 0 ? line : $"[{File.ReadAllText($"/proc/{pid}/comm").Trim()}]";
        }
        catch (IOException) { return "?"; }
        catch (UnauthorizedAccessException) { return "?"; }
    }
}
