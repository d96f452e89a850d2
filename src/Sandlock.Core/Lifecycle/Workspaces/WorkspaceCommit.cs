using Sandlock.Interop;
using Sandlock.Policy;
using Sandlock.Supervision.Workspaces;

namespace Sandlock.Lifecycle.Workspaces;

/// <summary>
/// Applies a run's layer to its workdir. Each file lands atomically (renamed from the upper folder, or copied beside
/// its place and renamed over it when the two are on different filesystems); the whole is crash-safe through a journal
/// in the run's folder, written before the workdir changes: a sandlock that finds it finishes the commit (every step
/// can be done again: deletions until the journal says they are done, then moves of what is still in the upper
/// folder). An flock on the workdir keeps two commits into it from interleaving.
/// </summary>
internal static class WorkspaceCommit
{
    private const string Header = "sandlock-commit\n", DeletionsDone = "deleted\n", TemporarySuffix = ".sandlock-commit";

    public static void Apply(WorkspaceLayout layout)
    {
        using var held = LockWorkdir(layout.Lower);
        if (!File.Exists(layout.Journal))
        {
            File.WriteAllText(layout.Journal + ".part", Header + layout.Lower + "\n");
            Sync(layout.Journal + ".part");
            File.Move(layout.Journal + ".part", layout.Journal);
        }
        Resume(layout);
    }

    /// <summary>Finishes the commit a journal describes (the workdir's lock held).</summary>
    private static void Resume(WorkspaceLayout layout)
    {
        if (!File.ReadAllText(layout.Journal).EndsWith(DeletionsDone, StringComparison.Ordinal))
        {
            foreach (var rest in DeletedPaths.Load(layout.DeletedList)) RemoveTree(layout.Shown(rest));
            File.AppendAllText(layout.Journal, DeletionsDone);
            Sync(layout.Journal);
        }
        var folders = new List<(string Path, uint Mode)>();
        foreach (var rest in ChangeList.Walk(layout.Upper))
        {
            if (Path.GetFileName(rest).StartsWith(WorkspaceTree.CopyPrefix, StringComparison.Ordinal)) continue;
            var upper = layout.Upper + "/" + rest;
            var target = layout.Shown(rest);
            if (ChangeList.Status(upper) is not { } status) continue;  // moved by an earlier attempt
            if (status.IsDirectory)
            {
                if (ChangeList.Status(target) is { IsDirectory: false }) RemoveTree(target);
                if (ChangeList.Status(target) is null) Directory.CreateDirectory(target);
                folders.Add((rest, status.Permissions));
                continue;
            }
            Move(upper, target, status);
        }
        // Last, as a folder made read-only first would refuse what goes in it.
        foreach (var (folder, mode) in Enumerable.Reverse(folders)) FileCalls.ChmodAt(FileCalls.AtFdCwd, layout.Shown(folder), mode, 0);
        var workdir = Libc.Open(layout.Lower, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (workdir >= 0) { FileCopy.Fsync(workdir); Libc.Close(workdir); }
        File.Delete(layout.Journal);
    }

    /// <summary>Puts one file of the upper folder in its place in the workdir, atomically.</summary>
    private static void Move(string upper, string target, FileStatus status)
    {
        if (ChangeList.Status(target) is { IsDirectory: true }) RemoveTree(target);
        if (FileCalls.RenameAt2(FileCalls.AtFdCwd, upper, FileCalls.AtFdCwd, target, 0) == 0) return;
        if (Libc.LastError != Errno.EXDEV)
            throw new SandboxSetupException(SetupFailure.Sandbox, $"workdir: cannot commit {target}: {Libc.ErrorText(Libc.LastError)}");
        // Another filesystem: a complete copy beside, then renamed over the old file.
        var temporary = target + TemporarySuffix;
        File.Delete(temporary);
        if (status.IsSymlink) File.CreateSymbolicLink(temporary, new FileInfo(upper).LinkTarget!);
        else
        {
            File.Copy(upper, temporary, overwrite: true);
            FileCalls.ChmodAt(FileCalls.AtFdCwd, temporary, status.Permissions, 0);
            Sync(temporary);
        }
        if (FileCalls.RenameAt2(FileCalls.AtFdCwd, temporary, FileCalls.AtFdCwd, target, 0) < 0)
            throw new SandboxSetupException(SetupFailure.Sandbox, $"workdir: cannot commit {target}: {Libc.ErrorText(Libc.LastError)}");
        File.Delete(upper);
    }

    /// <summary>
    /// Finishes the commits that sandlock processes now gone left half done in <paramref name="storage"/>, and removes
    /// the layers of runs that ended without one (their changes were never applied); kept layers stay.
    /// </summary>
    public static void Recover(string storage)
    {
        string[] runs;
        try { runs = Directory.GetDirectories(storage); }
        catch (DirectoryNotFoundException) { return; }
        foreach (var run in runs)
        {
            var lockFd = Libc.Open(run + "/lock", Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (lockFd < 0) continue;
            try
            {
                if (!FileLock.TryLockExclusive(lockFd)) continue;  // its sandlock is alive
                if (!File.Exists(run + "/workdir")) continue;      // being made: its owner locks it first
                var layout = new WorkspaceLayout(File.ReadAllText(run + "/workdir").TrimEnd('\n'), run);
                if (File.Exists(layout.Journal))
                {
                    using (LockWorkdir(layout.Lower)) Resume(layout);
                }
                else if (File.Exists(layout.KeptMark)) continue;
                RemoveTree(run);
            }
            finally
            {
                Libc.Close(lockFd);
            }
        }
    }

    private sealed class HeldLock(int fd) : IDisposable
    {
        public void Dispose() => Libc.Close(fd);
    }

    private static HeldLock LockWorkdir(string workdir)
    {
        var fd = Libc.Open(workdir, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (fd < 0 || !FileCopy.Lock(fd))
            throw new SandboxSetupException(SetupFailure.Sandbox, $"workdir: cannot lock {workdir} to commit into it: {Libc.ErrorText(Libc.LastError)}");
        return new HeldLock(fd);
    }

    private static void Sync(string path)
    {
        var fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0) return;
        FileCopy.Fsync(fd);
        Libc.Close(fd);
    }

    /// <summary>Removes a file or a folder with everything in it, read-only folders included; nothing when it is gone.</summary>
    public static void RemoveTree(string path)
    {
        if (ChangeList.Status(path) is not { } status) return;
        try
        {
            if (!status.IsDirectory)
            {
                File.Delete(path);
                return;
            }
            FileCalls.ChmodAt(FileCalls.AtFdCwd, path, 0x1C0 /* 0700 */, 0);
            foreach (var entry in Directory.EnumerateFileSystemEntries(path).ToList()) RemoveTree(entry);
            Directory.Delete(path);
        }
        catch (DirectoryNotFoundException) { /* gone meanwhile: what was asked for */ }
        catch (FileNotFoundException) { }
    }
}
