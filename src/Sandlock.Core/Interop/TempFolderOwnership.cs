using Microsoft.Win32.SafeHandles;

namespace Sandlock.Interop;

/// <summary>
/// A sandlock temp folder's owner mark: a lock file beside the folder (FOLDER.owner, where a sandboxed command that may
/// write the folder cannot reach it), flock-held for as long as the folder is in use. The kernel drops the lock when
/// its holder dies, however it dies, so a later sandlock process tells a folder whose owner was killed (SIGKILL leaves
/// it no chance to clean up) from one in use, and removes it (<see cref="SweepOnce"/>).
/// </summary>
internal sealed class TempFolderOwnership : IDisposable
{
    private const string Suffix = ".owner";

    // A pending mark is unheld only between its creation and its lock, microseconds apart: one unheld for this long
    // was left by an owner that died before it gave the mark its name.
    private static readonly TimeSpan PendingMarkAbandonedAfter = TimeSpan.FromSeconds(30);
    private static int _swept;
    private readonly string _lockPath;
    private readonly SafeFileHandle _lock;

    private TempFolderOwnership(string lockPath, SafeFileHandle held)
    {
        _lockPath = lockPath;
        _lock = held;
    }

    /// <summary>Marks <paramref name="folder"/> as in use by this process; null when the mark cannot be made (the folder is then never swept).</summary>
    public static TempFolderOwnership? Claim(string folder)
    {
        var lockPath = folder.TrimEnd('/') + Suffix;
        // Made and locked under a name no sweep looks at, then given its name: a sweep never sees the mark unheld
        // (it took a mark in the moment between its creation and its lock, and removed the folder its owner went on to use).
        var pending = $"{lockPath}-{Path.GetRandomFileName()}";
        SafeFileHandle? handle = null;
        try
        {
            handle = File.OpenHandle(pending, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite);
            // Taken explicitly: .NET's own FileShare locking can be switched off by an environment variable.
            if (FileLock.TryLockExclusive((int)handle.DangerousGetHandle()))
            {
                File.Move(pending, lockPath, overwrite: false);
                return new TempFolderOwnership(lockPath, handle);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        try { File.Delete(pending); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        handle?.Dispose();
        return null;
    }

    public void Dispose()
    {
        try { File.Delete(_lockPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        _lock.Dispose();
    }

    /// <summary>
    /// Once per process, in the background: removes the sandlock temp folders in the temp directory whose owner has
    /// gone. For long-lived users (a test host, a build node); a CLI run does not pay for the look.
    /// </summary>
    public static void SweepOnce()
    {
        if (Interlocked.Exchange(ref _swept, 1) != 0) return;
        var directory = Path.GetTempPath();
        _ = Task.Run(() =>
        {
            try { Sweep(directory); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* a temp directory that cannot be listed */ }
        });
    }

    /// <summary>
    /// Removes each <c>sandlock-*</c> folder of <paramref name="directory"/> whose owner mark no process holds, and each
    /// whose owner died while it made the mark (an old pending mark no process holds); how many.
    /// </summary>
    public static int Sweep(string directory)
    {
        var removed = 0;
        // Two lists and loops, not LINQ over (mark, folder) tuples: a build node's first step ran this beside it, and
        // a fresh process JIT-compiles framework generics over tuples (~15 methods here).
        List<string> marks = [], folders = [];
        foreach (var mark in Directory.EnumerateFiles(directory, "sandlock-*" + Suffix))
        {
            marks.Add(mark);
            folders.Add(mark[..^Suffix.Length]);
        }
        foreach (var mark in Directory.EnumerateFiles(directory, "sandlock-*" + Suffix + "-*"))
        {
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(mark) <= PendingMarkAbandonedAfter) continue;
            marks.Add(mark);
            folders.Add(mark[..mark.LastIndexOf(Suffix + "-", StringComparison.Ordinal)]);
        }
        for (var i = 0; i < marks.Count; i++)
        {
            var (lockPath, folder) = (marks[i], folders[i]);
            SafeFileHandle handle;
            try { handle = File.OpenHandle(lockPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            using (handle)
            {
                // Held: its owner lives. Another user's folder is not ours to remove (and /tmp's sticky bit would refuse).
                if (!FileLock.TryLockExclusive((int)handle.DangerousGetHandle())) continue;
                try
                {
                    // A real folder only: a link put there by someone else is removed, never followed.
                    var entry = new DirectoryInfo(folder);
                    if (entry.LinkTarget is not null) File.Delete(folder);
                    else if (entry.Exists) entry.Delete(recursive: true);
                    File.Delete(lockPath);
                    removed++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
        return removed;
    }
}
