using System.Diagnostics;
using System.Globalization;
using Sandlock.Confinement;
using Sandlock.Interop;

namespace Sandlock.Supervision.Limits;

/// <summary>
/// <c>--max-processes N</c> for root: a cgroup of the sandbox's own with pids.max = N. The child joins it before it
/// execs (through <see cref="ProcsFd"/>), so every task it ever starts is counted; it is removed when the sandbox ends.
/// </summary>
internal sealed class PidsCgroup
{
    private const string Prefix = "sandlock-";
    private static long _created;
    private static readonly TimeSpan RemovalDeadline = TimeSpan.FromSeconds(10);

    private PidsCgroup(string path, int procsFd)
    {
        Path = path;
        ProcsFd = procsFd;
    }

    public string Path { get; }

    /// <summary>cgroup.procs opened for writing (close-on-exec): the child writes "0" to it to join.</summary>
    public int ProcsFd { get; private set; }

    public static PidsCgroup Create(PidsHierarchy hierarchy, int max)
    {
        RemoveAbandoned(hierarchy.Parent);
        if (hierarchy.Version2) EnablePidsController(hierarchy.Parent);
        var path = System.IO.Path.Join(hierarchy.Parent, $"{Prefix}{Environment.ProcessId}-{Interlocked.Increment(ref _created)}");
        try { Directory.CreateDirectory(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure($"cannot create the pids cgroup {path}: {e.Message}");
        }
        if (!Libc.WriteControlFile(System.IO.Path.Join(path, "pids.max"), max.ToString(CultureInfo.InvariantCulture)))
        {
            var error = Libc.LastError;
            TryRemoveDirectory(path);
            throw Failure($"cannot set pids.max in {path}: {Libc.ErrorText(error)}");
        }
        var fd = Libc.Open(System.IO.Path.Join(path, "cgroup.procs"), Libc.O_WRONLY | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            var error = Libc.LastError;
            TryRemoveDirectory(path);
            throw Failure($"cannot open {path}/cgroup.procs: {Libc.ErrorText(error)}");
        }
        return new PidsCgroup(path, fd);
    }

    /// <summary>Once the child has joined (or failed to), the parent needs the fd no more.</summary>
    public void CloseProcsFd()
    {
        Libc.CloseQuietly(ProcsFd);
        ProcsFd = -1;
    }

    /// <summary>How many forks pids.max refused (the "max" line of pids.events).</summary>
    public long RefusedForks()
    {
        try
        {
            foreach (var line in File.ReadAllLines(System.IO.Path.Join(Path, "pids.events")))
                if (line.StartsWith("max ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(4), out var count)) return count;
        }
        catch (IOException) { }
        return 0;
    }

    /// <summary>
    /// Kills whatever is still in the cgroup (a process that left the sandbox's process group) and removes it. The
    /// kernel refuses to remove a cgroup until its last task has exited, which a SIGKILL makes a matter of moments.
    /// </summary>
    public void Remove()
    {
        CloseProcsFd();
        var clock = Stopwatch.StartNew();
        var pause = 1;
        while (Directory.Exists(Path))
        {
            foreach (var pid in Members()) Libc.Kill(pid, Libc.SIGKILL);
            if (TryRemoveDirectory(Path) || clock.Elapsed > RemovalDeadline) return;
            Thread.Sleep(pause);
            pause = Math.Min(pause * 2, 50);
        }
    }

    private IEnumerable<int> Members()
    {
        string text;
        try { text = File.ReadAllText(System.IO.Path.Join(Path, "cgroup.procs")); }
        catch (IOException) { yield break; }
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(line, out var pid)) yield return pid;
    }

    /// <summary>On cgroup v2, children get the pids controller only when the parent enables it for its subtree.</summary>
    private static void EnablePidsController(string parent)
    {
        var control = System.IO.Path.Join(parent, "cgroup.subtree_control");
        try
        {
            if (File.ReadAllText(control).Split(' ', '\n').Contains("pids")) return;
        }
        catch (IOException e) { throw Failure($"cannot read {control}: {e.Message}"); }
        if (!Libc.WriteControlFile(control, "+pids"))
            throw Failure($"cannot enable the pids controller in {control}: {Libc.ErrorText(Libc.LastError)}");
    }

    /// <summary>Empty cgroups left behind by sandlock processes that no longer exist (killed before they cleaned up).</summary>
    private static void RemoveAbandoned(string parent)
    {
        IEnumerable<string> candidates;
        try { candidates = Directory.EnumerateDirectories(parent, Prefix + "*").ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (var directory in candidates)
        {
            var name = System.IO.Path.GetFileName(directory)[Prefix.Length..];
            var dash = name.IndexOf('-');
            if (dash > 0 && int.TryParse(name.AsSpan(0, dash), out var owner) && !Directory.Exists($"/proc/{owner}"))
                TryRemoveDirectory(directory);
        }
    }

    private static bool TryRemoveDirectory(string path)
    {
        try
        {
            Directory.Delete(path);
            return true;
        }
        catch (DirectoryNotFoundException) { return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private static SandboxSetupException Failure(string message) =>
        new(SetupFailure.Sandbox, $"max_processes: {message}");
}
