using Sandlock.Interop;
using Sandlock.Supervision.Workspaces;

namespace Sandlock.Lifecycle.Workspaces;

/// <summary>
/// The changes a run's layer makes to its workdir, sorted by path: the upper folder's entries the workdir lacks
/// (added) or has with other content or permissions (modified), and the deleted paths the workdir has.
/// </summary>
internal static class ChangeList
{
    public static IReadOnlyList<WorkspaceChange> Of(WorkspaceLayout layout)
    {
        var changes = new Dictionary<string, WorkspaceChangeKind>(StringComparer.Ordinal);
        var deleted = DeletedPaths.Load(layout.DeletedList);
        foreach (var rest in deleted)
        {
            var lower = layout.Shown(rest);
            if (!Exists(lower)) continue;
            if (!Exists(layout.Upper + "/" + rest)) changes[rest] = WorkspaceChangeKind.Deleted;
            else if (Directory.Exists(lower) && !IsLink(lower))
                // A folder deleted and made anew: what of the old one is not in the new one is gone.
                foreach (var entry in Walk(lower))
                    if (!Exists(layout.Upper + "/" + rest + "/" + entry)) changes[rest + "/" + entry] = WorkspaceChangeKind.Deleted;
        }
        var hidden = new DeletedPaths(layout.DeletedList);
        foreach (var entry in Walk(layout.Upper))
        {
            if (Path.GetFileName(entry).StartsWith(WorkspaceTree.CopyPrefix, StringComparison.Ordinal)) continue;
            var upper = layout.Upper + "/" + entry;
            var lower = layout.Shown(entry);
            if (hidden.Hides(entry) || !Exists(lower)) changes[entry] = WorkspaceChangeKind.Added;
            else if (Differs(upper, lower)) changes[entry] = WorkspaceChangeKind.Modified;
        }
        // A folder deleted with what was in it is one deletion.
        bool UnderDeleted(string rest) =>
            rest.LastIndexOf('/') is var slash and > 0 && (changes.GetValueOrDefault(rest[..slash]) == WorkspaceChangeKind.Deleted && changes.ContainsKey(rest[..slash]) || UnderDeleted(rest[..slash]));
        return [.. changes.Where(c => c.Value != WorkspaceChangeKind.Deleted || !UnderDeleted(c.Key))
            .OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new WorkspaceChange(c.Value, layout.Shown(c.Key)))];
    }

    /// <summary>Paths below <paramref name="folder"/>, relative to it, parents before children; symlinks not followed.</summary>
    internal static IEnumerable<string> Walk(string folder)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false, ReturnSpecialDirectories = false };
        return new DirectoryInfo(folder).EnumerateFileSystemInfos("*", options)
            .Select(i => Path.GetRelativePath(folder, i.FullName)).Order(StringComparer.Ordinal);
    }

    private static bool Exists(string path) => Status(path) is not null;

    private static bool IsLink(string path) => Status(path) is { IsSymlink: true };

    internal static FileStatus? Status(string path)
    {
        var fd = Libc.Open(path, Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
        if (fd < 0) return null;
        try { return FileStatus.Of(fd); }
        finally { Libc.Close(fd); }
    }

    private static bool Differs(string upper, string lower)
    {
        if (Status(upper) is not { } u || Status(lower) is not { } l) return true;
        if ((u.Mode & FileStatus.TypeMask) != (l.Mode & FileStatus.TypeMask) || u.Permissions != l.Permissions) return true;
        if (u.IsDirectory) return false;
        if (u.IsSymlink) return new FileInfo(upper).LinkTarget != new FileInfo(lower).LinkTarget;
        if (!u.IsRegular || u.Size != l.Size) return true;
        using var a = File.OpenRead(upper);
        using var b = File.OpenRead(lower);
        Span<byte> x = stackalloc byte[16384], y = stackalloc byte[16384];
        while (true)
        {
            var n = a.ReadAtLeast(x, x.Length, throwOnEndOfStream: false);
            var m = b.ReadAtLeast(y, y.Length, throwOnEndOfStream: false);
            if (n != m || !x[..n].SequenceEqual(y[..m])) return true;
            if (n == 0) return false;
        }
    }
}
