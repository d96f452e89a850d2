using System.Collections.Concurrent;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;
using Sandlock.Policy;
using Sandlock.Supervision.Views;

namespace Sandlock.Supervision.Workspaces;

/// <summary>Which layer a path of the workdir is found in.</summary>
internal enum Layer { None, Upper, Lower }

/// <summary>A path of the workdir as the run sees it: the layer it is in and its status there.</summary>
internal readonly record struct Found(Layer Layer, FileStatus Status)
{
    public bool Exists => Layer != Layer.None;
}

/// <summary>
/// A path named by the sandbox, walked through the merged view: <see cref="Rest"/> below the workdir (its folders
/// exist and are no symlinks; the last component may not exist), or <see cref="Outside"/> the workdir (a host path
/// reached by '..' or a symlink), or an <see cref="Error"/>. <see cref="TouchedUpper"/>: the walk used a file of the
/// upper folder, so the kernel, which sees only the workdir, would not walk it the same way.
/// </summary>
internal sealed record Resolved(string? Rest, string? Outside, bool TouchedUpper, int Error)
{
    /// <summary>The walk used a file of the workdir itself.</summary>
    public bool TouchedLower { get; init; }

    /// <summary>The walk followed a symlink or went up with '..': a kernel walk elsewhere would not retrace it.</summary>
    public bool Winding { get; init; }
}

/// <summary>
/// The merged view of one run's copy-on-write layer: the upper folder over the workdir, minus what the run deleted.
/// Every change the sandbox makes under the workdir lands in the upper folder; a file of the workdir is copied up
/// first (a reflink or copy_file_range, off the notification thread when large).
/// </summary>
internal sealed class WorkspaceTree : IDisposable
{
    /// <summary>Names of copies in progress in the upper folder, which no listing shows.</summary>
    public const string CopyPrefix = ".sandlock-copy-";
    private const long OffLoopBytes = 1L << 20;
    private const ulong Beneath = ResolvingOpen.ResolveInRoot | ResolvingOpen.ResolveNoSymlinks | ResolvingOpen.ResolveNoMagicLinks;
    private const int MaxLinks = 40;
    private const uint RenameNoReplace = 1, RenameExchange = 2;

    private readonly int _lower, _upper;
    private readonly ConcurrentDictionary<string, Task<int>> _copying = new(StringComparer.Ordinal);

    public WorkspaceTree(WorkspaceLayout layout, long? maxDisk)
    {
        Layout = layout;
        Deleted = new DeletedPaths(layout.DeletedList);
        Quota = maxDisk is { } limit ? new DiskQuota(layout.Upper, limit, layout.Overflowed) : null;
        _lower = Libc.Open(layout.Lower, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        _upper = Libc.Open(layout.Upper, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (_lower < 0 || _upper < 0)
        {
            var error = Libc.LastError;
            Dispose();
            throw new InvalidOperationException($"workdir: cannot open {layout.Lower} or its layer {layout.Upper}: {Libc.ErrorText(error)}");
        }
        UpperDevice = FileStatus.Of(_upper)?.Device ?? 0;
    }

    public WorkspaceLayout Layout { get; }
    public DeletedPaths Deleted { get; }
    public DiskQuota? Quota { get; }
    public ulong UpperDevice { get; }

    /// <summary>The path below the workdir of a host path in either layer; null when it lies in neither.</summary>
    public string? RestOf(string host)
    {
        if (PathTree.IsSameOrUnder(host, Layout.Upper)) return host[Layout.Upper.Length..].TrimStart('/');
        if (PathTree.IsSameOrUnder(host, Layout.Lower)) return host[Layout.Lower.Length..].TrimStart('/');
        return null;
    }

    public bool InUpper(string host) => PathTree.IsSameOrUnder(host, Layout.Upper);

    public Found Find(string rest)
    {
        if (StatIn(_upper, rest) is { } upper) return new Found(Layer.Upper, upper);
        if (rest.Length > 0 && Deleted.Hides(rest)) return default;
        return StatIn(_lower, rest) is { } lower ? new Found(Layer.Lower, lower) : default;
    }

    /// <summary>Whether the workdir itself (not the upper folder) has <paramref name="rest"/>, not deleted by the run.</summary>
    public bool LowerHas(string rest) => !(rest.Length > 0 && Deleted.Hides(rest)) && StatIn(_lower, rest) is not null;

    /// <summary>Walks <paramref name="components"/> (below the workdir) as the kernel would walk the merged tree.</summary>
    public Resolved Resolve(IEnumerable<string> components, bool followLast)
    {
        var pending = new LinkedList<string>(components);
        var resolved = new List<string>();
        bool touchedUpper = false, touchedLower = false, winding = false;
        var links = 0;
        Resolved Done(string? rest, string? outside, int error) =>
            new(rest, outside, touchedUpper, error) { TouchedLower = touchedLower, Winding = winding };
        while (pending.First is { } node)
        {
            var name = node.Value;
            pending.RemoveFirst();
            if (name is "." or "") continue;
            if (name == "..")
            {
                winding = true;
                if (resolved.Count > 0) { resolved.RemoveAt(resolved.Count - 1); continue; }
                var above = Path.GetDirectoryName(Layout.Lower) ?? "/";
                return Done(null, Join(above, pending), 0);
            }
            var candidate = resolved.Count == 0 ? name : string.Join('/', resolved) + "/" + name;
            var last = pending.Count == 0;
            var found = Find(candidate);
            if (!found.Exists) return last ? Done(candidate, null, 0) : Done(null, null, Errno.ENOENT);
            touchedUpper |= found.Layer == Layer.Upper;
            touchedLower |= found.Layer == Layer.Lower;
            if (found.Status.IsSymlink && (!last || followLast))
            {
                winding = true;
                if (++links > MaxLinks) return Done(null, null, Errno.ELOOP);
                if (ReadLink(found.Layer, candidate) is not { } target) return Done(null, null, Errno.EIO);
                var targetParts = target.Split('/', StringSplitOptions.RemoveEmptyEntries);
                if (target.StartsWith('/'))
                {
                    var lowerParts = Layout.Lower.Split('/', StringSplitOptions.RemoveEmptyEntries);
                    if (targetParts.Length < lowerParts.Length || !targetParts.Take(lowerParts.Length).SequenceEqual(lowerParts, StringComparer.Ordinal))
                        return Done(null, Join(target, pending), 0);
                    resolved.Clear();
                    targetParts = targetParts[lowerParts.Length..];
                }
                for (var i = targetParts.Length - 1; i >= 0; i--) pending.AddFirst(targetParts[i]);
                continue;
            }
            if (!last && !found.Status.IsDirectory) return Done(null, null, Errno.ENOTDIR);
            resolved.Add(name);
        }
        return Done(string.Join('/', resolved), null, 0);
    }

    private static string Join(string start, IEnumerable<string> rest) =>
        rest.Any() ? start.TrimEnd('/') + "/" + string.Join('/', rest) : start;

    private string? ReadLink(Layer layer, string rest)
    {
        var fd = OpenIn(Root(layer), rest, (ulong)(Libc.O_PATH | Libc.O_NOFOLLOW));
        if (fd < 0) return null;
        try
        {
            var buffer = new byte[4096];
            var length = FileCalls.ReadLink(fd, buffer);
            return length < 0 ? null : Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>The merged listing of a folder: the upper folder's entries, then the workdir's not deleted or shadowed.</summary>
    public List<DirectoryEntry>? List(string rest)
    {
        var upper = StatIn(_upper, rest);
        if (upper is { IsDirectory: false }) return null;
        var entries = new List<DirectoryEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var any = false;
        if (upper is not null && ReadEntries(_upper, rest) is { } fromUpper)
        {
            any = true;
            foreach (var entry in fromUpper)
            {
                var name = Encoding.UTF8.GetString(entry.Name);
                if (name.StartsWith(CopyPrefix, StringComparison.Ordinal)) continue;
                names.Add(name);
                entries.Add(entry);
            }
        }
        if (!(rest.Length > 0 && Deleted.Hides(rest)) && ReadEntries(_lower, rest) is { } fromLower)
        {
            any = true;
            foreach (var entry in fromLower)
            {
                var name = Encoding.UTF8.GetString(entry.Name);
                if (names.Contains(name) || (name is not ("." or "..") && Deleted.Hides(rest.Length == 0 ? name : rest + "/" + name))) continue;
                names.Add(name);
                entries.Add(entry);
            }
        }
        return any ? entries : null;
    }

    /// <summary>Whether the merged folder has entries besides "." and "..".</summary>
    public bool HasEntries(string rest) => List(rest)?.Any(e => !(e.Name is [(byte)'.'] or [(byte)'.', (byte)'.'])) ?? false;

    private List<DirectoryEntry>? ReadEntries(int root, string rest)
    {
        var fd = OpenIn(root, rest, (ulong)(Libc.O_RDONLY | Libc.O_DIRECTORY));
        if (fd < 0) return null;
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        return DirectoryCalls.ReadAll(handle)?.Select(e => new DirectoryEntry(e.Inode, e.Type, e.Name)).ToList();
    }

    /// <summary>Makes the folders <paramref name="rest"/> lies in in the upper folder; 0 or -errno.</summary>
    public int EnsureParents(string rest)
    {
        var slash = rest.LastIndexOf('/');
        if (slash < 0) return 0;
        var parts = rest[..slash].Split('/');
        for (var i = 1; i <= parts.Length; i++)
            if (EnsureDirectory(string.Join('/', parts.Take(i))) is var made and < 0) return made;
        return 0;
    }

    /// <summary>The folder in the upper folder, with the permissions it has in the workdir; 0 or -errno.</summary>
    public int EnsureDirectory(string rest)
    {
        if (rest.Length == 0) return 0;
        if (StatIn(_upper, rest) is { } existing) return existing.IsDirectory ? 0 : -Errno.ENOTDIR;
        var mode = LowerHas(rest) && StatIn(_lower, rest) is { IsDirectory: true } lower ? lower.Permissions : 0x1ED /* 0755 */;
        return InUpperParent(rest, (parent, name) =>
        {
            if (FileCalls.MkdirAt(parent, name, mode) < 0 && Libc.LastError != Errno.EEXIST) return -Libc.LastError;
            // The supervisor's umask applied to mkdir; the folder keeps the workdir's permissions.
            return FileCalls.ChmodAt(parent, name, mode, 0) < 0 ? -Libc.LastError : 0;
        });
    }

    /// <summary>Runs <paramref name="use"/> on the upper folder's parent of <paramref name="rest"/> and its last name.</summary>
    public int InUpperParent(string rest, Func<int, string, int> use)
    {
        var slash = rest.LastIndexOf('/');
        var parent = OpenIn(_upper, slash < 0 ? "" : rest[..slash], (ulong)(Libc.O_PATH | Libc.O_DIRECTORY));
        if (parent < 0) return -Libc.LastError;
        try { return use(parent, rest[(slash + 1)..]); }
        finally { Libc.Close(parent); }
    }

    /// <summary>
    /// Brings <paramref name="rest"/> into the upper folder (its folders too), unless it is there; 0 or -errno.
    /// <paramref name="empty"/>: the caller truncates it anyway, so its bytes are not copied.
    /// </summary>
    public ValueTask<int> CopyUpAsync(string rest, bool empty = false)
    {
        var found = Find(rest);
        if (found.Layer == Layer.Upper) return ValueTask.FromResult(0);
        if (!found.Exists) return ValueTask.FromResult(-Errno.ENOENT);
        if (EnsureParents(rest) is var parents and < 0) return ValueTask.FromResult(parents);
        var status = found.Status;
        if (status.IsDirectory) return ValueTask.FromResult(EnsureDirectory(rest));
        if (status.IsSymlink)
            return ValueTask.FromResult(ReadLink(Layer.Lower, rest) is { } target
                ? InUpperParent(rest, (parent, name) => FileCalls.SymlinkAt(target, parent, name) < 0 && Libc.LastError != Errno.EEXIST ? -Libc.LastError : 0)
                : -Errno.EIO);
        if (!status.IsRegular)
            return ValueTask.FromResult(InUpperParent(rest, (parent, name) =>
                FileCalls.MknodAt(parent, name, status.Mode, 0) < 0 && Libc.LastError != Errno.EEXIST ? -Libc.LastError : 0));
        var bytes = empty ? 0 : (long)status.Size;
        if (Quota is not null && !Quota.TryCharge(bytes)) return ValueTask.FromResult(-Errno.ENOSPC);
        if (bytes < OffLoopBytes) return ValueTask.FromResult(CopyFile(rest, status, empty));
        // Large files are copied on the thread pool, so the notification thread serves other calls meanwhile; two
        // callers of one file wait for the same copy.
        var copy = _copying.GetOrAdd(rest, r => Task.Run(() => CopyFile(r, status, empty)));
        return new ValueTask<int>(Finish(rest, copy));
    }

    private async Task<int> Finish(string rest, Task<int> copy)
    {
        try { return await copy.ConfigureAwait(false); }
        finally { _copying.TryRemove(new KeyValuePair<string, Task<int>>(rest, copy)); }
    }

    /// <summary>Copies into a temporary name beside, renamed into place when complete: no half copy is ever seen.</summary>
    private int CopyFile(string rest, FileStatus status, bool empty)
    {
        var source = empty ? -1 : OpenIn(_lower, rest, Libc.O_RDONLY);
        if (!empty && source < 0) return -Libc.LastError;
        try
        {
            return InUpperParent(rest, (parent, name) =>
            {
                var temporary = CopyPrefix + Guid.NewGuid().ToString("N");
                var target = ResolvingOpen.OpenAt2(parent, temporary, (ulong)(Libc.O_WRONLY | Libc.O_CLOEXEC) | 0x40 /* O_CREAT */ | 0x80 /* O_EXCL */, Beneath, 0x180);
                if (target < 0) return -Libc.LastError;
                var result = 0;
                try
                {
                    if (!empty) result = FileCopy.Copy(source, target, (long)status.Size);
                    if (result == 0 && FileCopy.Fchmod(target, status.Permissions) < 0) result = -Libc.LastError;
                    if (result == 0) FileCopy.SetTimes(target, status.Accessed, status.Modified);
                }
                finally
                {
                    Libc.Close(target);
                }
                if (result == 0 && FileCalls.RenameAt2(parent, temporary, parent, name, RenameNoReplace) < 0)
                    result = Libc.LastError == Errno.EEXIST ? 0 : -Libc.LastError;  // another caller's copy won
                // Gone already once renamed; left over when the copy failed.
                FileCalls.UnlinkAt(parent, temporary, 0);
                return result;
            });
        }
        finally
        {
            if (source >= 0) Libc.Close(source);
        }
    }

    /// <summary>Copies a folder of the merged view, with everything in it, into the upper folder (before it is renamed).</summary>
    private async ValueTask<int> CopyUpTreeAsync(string rest)
    {
        if (await CopyUpAsync(rest).ConfigureAwait(false) is var made and < 0) return made;
        foreach (var entry in List(rest) ?? [])
        {
            var name = Encoding.UTF8.GetString(entry.Name);
            if (name is "." or "..") continue;
            var child = rest.Length == 0 ? name : rest + "/" + name;
            var found = Find(child);
            var copied = found.Status.IsDirectory && !found.Status.IsSymlink ? await CopyUpTreeAsync(child).ConfigureAwait(false) : await CopyUpAsync(child).ConfigureAwait(false);
            if (copied < 0) return copied;
        }
        return 0;
    }

    /// <summary>unlink or rmdir: done in the upper folder, recorded as deleted for the workdir; 0 or -errno.</summary>
    public int Remove(string rest, bool directory)
    {
        if (rest.Length == 0) return -Errno.EBUSY;
        var found = Find(rest);
        if (!found.Exists) return -Errno.ENOENT;
        if (directory && !found.Status.IsDirectory) return -Errno.ENOTDIR;
        if (!directory && found.Status.IsDirectory) return -Errno.EISDIR;
        if (directory && HasEntries(rest)) return -Errno.ENOTEMPTY;
        if (found.Layer == Layer.Upper
            && InUpperParent(rest, (parent, name) => FileCalls.UnlinkAt(parent, name, directory ? FileCalls.AtRemoveDir : 0) < 0 ? -Libc.LastError : 0) is var removed and < 0)
            return removed;
        if (LowerHas(rest)) Deleted.Add(rest);
        return 0;
    }

    /// <summary>rename(2) in the merged view: both ends copied up, renamed in the upper folder; 0 or -errno.</summary>
    public async ValueTask<int> RenameAsync(string from, string to, uint flags)
    {
        // Swapping two names would need both sides' folders copied up at once; not offered (see docs).
        if ((flags & RenameExchange) != 0) return -Errno.EINVAL;
        if (from.Length == 0 || to.Length == 0) return -Errno.EBUSY;
        var source = Find(from);
        if (!source.Exists) return -Errno.ENOENT;
        if (to.StartsWith(from + "/", StringComparison.Ordinal)) return -Errno.EINVAL;
        var target = Find(to);
        if (target.Exists)
        {
            if (from == to) return 0;
            if ((flags & RenameNoReplace) != 0) return -Errno.EEXIST;
            if (source.Status.IsDirectory && !target.Status.IsDirectory) return -Errno.ENOTDIR;
            if (!source.Status.IsDirectory && target.Status.IsDirectory) return -Errno.EISDIR;
            if (target.Status.IsDirectory && HasEntries(to)) return -Errno.ENOTEMPTY;
        }
        var copied = source.Status.IsDirectory ? await CopyUpTreeAsync(from).ConfigureAwait(false) : await CopyUpAsync(from).ConfigureAwait(false);
        if (copied < 0) return copied;
        if (EnsureParents(to) is var parents and < 0) return parents;
        // An empty folder of the workdir being replaced: nothing of it may show through the one moved there.
        if (target.Layer == Layer.Upper && target.Status.IsDirectory
            && InUpperParent(to, (parent, name) => FileCalls.UnlinkAt(parent, name, FileCalls.AtRemoveDir) < 0 ? -Libc.LastError : 0) is var cleared and < 0)
            return cleared;
        var lowerHadTarget = LowerHas(to);
        var renamed = InUpperParent(from, (fromParent, fromName) =>
            InUpperParent(to, (toParent, toName) => FileCalls.RenameAt2(fromParent, fromName, toParent, toName, flags & RenameNoReplace) < 0 ? -Libc.LastError : 0));
        if (renamed < 0) return renamed;
        if (LowerHas(from)) Deleted.Add(from);
        if (lowerHadTarget) Deleted.Add(to);
        return 0;
    }

    /// <summary>link(2): the file is copied up and linked in the upper folder; 0 or -errno.</summary>
    public async ValueTask<int> LinkAsync(string from, string to)
    {
        var source = Find(from);
        if (!source.Exists) return -Errno.ENOENT;
        if (source.Status.IsDirectory) return -Errno.EPERM;
        if (Find(to).Exists) return -Errno.EEXIST;
        if (await CopyUpAsync(from).ConfigureAwait(false) is var copied and < 0) return copied;
        if (EnsureParents(to) is var parents and < 0) return parents;
        return InUpperParent(from, (fromParent, fromName) =>
            InUpperParent(to, (toParent, toName) => FileCalls.LinkAt(fromParent, fromName, toParent, toName, 0) < 0 ? -Libc.LastError : 0));
    }

    private int Root(Layer layer) => layer == Layer.Upper ? _upper : _lower;

    private static int OpenIn(int root, string rest, ulong flags, ulong mode = 0) =>
        ResolvingOpen.OpenAt2(root, rest.Length == 0 ? "." : rest, flags | (ulong)Libc.O_CLOEXEC, Beneath, mode);

    private static FileStatus? StatIn(int root, string rest)
    {
        var fd = OpenIn(root, rest, (ulong)(Libc.O_PATH | Libc.O_NOFOLLOW));
        if (fd < 0) return null;
        try { return FileStatus.Of(fd); }
        finally { Libc.Close(fd); }
    }

    public void Dispose()
    {
        if (_lower >= 0) Libc.Close(_lower);
        if (_upper >= 0) Libc.Close(_upper);
    }
}
