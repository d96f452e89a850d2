using Sandlock.Interop;
using Sandlock.Policy;
using Sandlock.Supervision.Mounts;

namespace Sandlock.Supervision.Workspaces;

/// <summary>
/// workdir without root or a mount namespace, on the machinery of <see cref="MountedFolders"/>: every syscall that
/// takes a path is held; one that lands under the workdir is walked through the merged view
/// (<see cref="WorkspaceTree"/>) and done by the supervisor in the layer it names (opens hand over the fd, stats
/// write the caller's buffer, changes happen in the upper folder after a copy-up, deletions are recorded). Landlock
/// keeps the workdir read-only for the child, so what it does through the fds it is given is all it can change.
/// Calls on an fd of a workdir file that change it (fchmod and the like) copy it up and change the copy.
/// </summary>
internal sealed class WorkspaceFiles : SyscallHandler
{
    private const ulong AccessModeMask = 3, Creat = 0x40, Excl = 0x80, Trunc = 0x200, TmpFile = 0x400000;
    private static readonly string[] FdChanges = ["fchmod", "fchown", "fsetxattr", "fremovexattr"];

    private readonly WorkspaceLayout _layout;
    private readonly long? _maxDisk;
    private readonly string? _fdLinks;
    private readonly IReadOnlyList<(string Host, string Rule)> _denied;
    private readonly FsMount _lower, _lowerLooks, _upper, _childRoot;

    public WorkspaceFiles(SandboxPolicy policy)
    {
        _layout = WorkspaceLayout.Of(policy);
        _maxDisk = policy.MaxDisk?.Bytes;
        _fdLinks = MountedFolders.FdLinks(null);
        _denied = [.. policy.FsDenied.Select(d => (LibcPaths.RealPath(d) ?? d, d))];
        // The workdir as MountedFileCalls knows folders: read-only for opens, looked at (stat, access), and the upper folder.
        _lower = new FsMount(_layout.Lower, _layout.Lower, ReadOnly: true);
        _lowerLooks = new FsMount(_layout.Lower, _layout.Lower, ReadOnly: false);
        _upper = new FsMount(_layout.Lower, _layout.Upper, ReadOnly: false);
        _childRoot = new FsMount("/", "/", ReadOnly: true);
        Syscalls = [.. MountedFolders.SinglePath.Keys, .. MountedFolders.TwoPaths.Keys, "getcwd", "fchdir", .. FdChanges];
    }

    public override IReadOnlyCollection<string> Syscalls { get; }

    /// <summary>The session's merged view (made on first use, released with the session).</summary>
    public WorkspaceTree Tree(SupervisedSession session) => session.State(() => new WorkspaceTree(_layout, _maxDisk));

    /// <summary>Serves getdents64 of a folder of the workdir (in either layer): the merged listing; null for others.</summary>
    public IReadOnlyList<Views.DirectoryEntry>? Listing(string hostDirectory, SupervisedSession session)
    {
        var tree = Tree(session);
        return tree.RestOf(hostDirectory) is { } rest ? tree.List(rest) : null;
    }

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var tree = Tree(session);
        var directories = session.State(() => new WorkingDirectories());
        var mounts = session.State(() => new WorkspaceRoots(new MountRoots([_lower, _lowerLooks, _upper, _childRoot], _denied)));
        var calls = new MountedFileCalls(session, call, mounts.Roots);
        switch (call.Name)
        {
            case "getcwd":
                return Done(WorkingDirectory(session, call, tree, directories));
            case "fchdir":
                directories.Set(call.Pid, null);
                return Done(SyscallDecision.Allow);
            case "fchmod" or "fchown" or "fsetxattr" or "fremovexattr":
                return OnFdAsync(session, call, tree, calls, (int)call.Args[0]);
            case "utimensat" when call.Args[1] == 0:
                return OnFdAsync(session, call, tree, calls, (int)call.Args[0]);
        }
        if (MountedFolders.TwoPaths.TryGetValue(call.Name, out var pair)) return TwoPathsAsync(session, call, tree, calls, directories, pair);
        var (dirArg, pathArg) = MountedFolders.SinglePath[call.Name];
        var address = call.Args[pathArg];
        if (Target(session, call, tree, directories, dirArg, address, FollowsLast(session, call)) is not { } target) return Done(SyscallDecision.Allow);
        if (target.Resolved.Error != 0) return Done(SyscallDecision.Deny(target.Resolved.Error));
        if (target.Resolved.Outside is { } outside) return Done(OutOfWorkdir(call, calls, target, outside));
        var rest = target.Resolved.Rest!;
        if (Refusal(calls, rest) is { } refused) return Done(refused);
        var found = tree.Find(rest);
        var shown = new MountedPath(_layout.Shown(rest), found.Layer == Layer.Upper ? _upper : _lower, rest, false, false);
        switch (call.Name)
        {
            case "open" or "creat" or "openat" or "openat2":
                return OpenAsync(session, call, tree, calls, rest, found);
            case "stat" or "lstat" or "newfstatat" or "statx":
                return Done(found.Exists ? calls.Stat(Looks(found), rest) : SyscallDecision.Deny(Errno.ENOENT));
            case "access" or "faccessat" or "faccessat2":
                return Done(found.Exists ? calls.Access(Looks(found), rest, shown.VirtualPath, calls.ReadOnly) : SyscallDecision.Deny(Errno.ENOENT));
            case "readlink" or "readlinkat":
                return Done(found.Exists ? calls.ReadLink(Looks(found), rest) : SyscallDecision.Deny(Errno.ENOENT));
            case "getxattr" or "lgetxattr" or "listxattr" or "llistxattr":
                return Done(found.Exists ? calls.Attributes(Looks(found), rest) : SyscallDecision.Deny(Errno.ENOENT));
            case "statfs":
                return Done(found.Exists ? calls.FileSystemStats(Looks(found), rest) : SyscallDecision.Deny(Errno.ENOENT));
            case "chdir":
                if (!found.Exists) return Done(SyscallDecision.Deny(Errno.ENOENT));
                if (!found.Status.IsDirectory) return Done(SyscallDecision.Deny(Errno.ENOTDIR));
                // From a working directory in the upper folder the kernel walks there once the folder is made in it, and
                // stays there, so files made in the sandbox can be run by a relative path; else it must walk alike.
                if (target.FromUpper && !target.Resolved.Winding && tree.EnsureDirectory(rest) is var madeHere and < 0) return Done(SyscallDecision.Deny(-madeHere));
                // A folder the workdir has, named without symlinks from outside the upper folder: the kernel walks there.
                var lowerWalk = target.KernelBase && !target.FromUpper && !target.Resolved.Winding && tree.LowerHas(rest);
                if (target.KernelWalks || lowerWalk || (target.FromUpper && !target.Resolved.Winding))
                {
                    directories.Set(call.Pid, null);
                    return Done(SyscallDecision.Allow);
                }
                return Done(calls.RecordedChdir(shown.Mount!, shown, directories));
            case "execve" or "execveat":
                return ExecAsync(call, tree, calls, target, found, shown, address);
            case "unlink" or "rmdir" or "unlinkat":
                var directory = call.Name == "rmdir" || (call.Name == "unlinkat" && ((int)call.Args[2] & FileCalls.AtRemoveDir) != 0);
                return Done(Outcome(tree.Remove(rest, directory)));
            case "mkdir" or "mkdirat" or "mknod" or "mknodat" or "symlink" or "symlinkat":
                if (found.Exists) return Done(SyscallDecision.Deny(Errno.EEXIST));
                if (tree.EnsureParents(rest) is var made and < 0) return Done(SyscallDecision.Deny(-made));
                return Done(calls.Change(_upper, rest));
            default:
                // chmod, chown, truncate, utimensat and xattr changes: on the upper folder's copy.
                return ChangeCopyAsync(tree, calls, rest, found, truncate: call.Name == "truncate" && call.Args[1] == 0);
        }
    }

    private async ValueTask<SyscallDecision> ExecAsync(SyscallEvent call, WorkspaceTree tree, MountedFileCalls calls, WorkspaceTarget target,
        Found found, MountedPath shown, ulong address)
    {
        if (!found.Exists) return SyscallDecision.Deny(Errno.ENOENT);
        if (target.KernelWalks) return SyscallDecision.Allow;
        // From the upper folder the kernel finds the file where it is once it is copied up (its bytes, unchanged).
        if (target.FromUpper && !target.Resolved.Winding && !found.Status.IsDirectory)
        {
            if (await tree.CopyUpAsync(shown.Rest).ConfigureAwait(false) is var copied and < 0) return SyscallDecision.Deny(-copied);
            return SyscallDecision.Allow;
        }
        if (_fdLinks is not { } fdLinks)
            return calls.Refuse(shown.VirtualPath, Errno.EACCES, "workdir: executing a file of the copy-on-write layer needs /proc");
        var layer = found.Layer == Layer.Upper ? _upper : _lower;
        return calls.PointAtOpenedFile(layer, shown with { Mount = layer }, address, fdLinks, callerDirectory: null);
    }

    private FsMount Looks(Found found) => found.Layer == Layer.Upper ? _upper : _lowerLooks;

    private async ValueTask<SyscallDecision> ChangeCopyAsync(WorkspaceTree tree, MountedFileCalls calls, string rest, Found found, bool truncate)
    {
        if (!found.Exists) return SyscallDecision.Deny(Errno.ENOENT);
        if (await tree.CopyUpAsync(rest, truncate).ConfigureAwait(false) is var copied and < 0) return SyscallDecision.Deny(-copied);
        return calls.Change(_upper, rest);
    }

    private async ValueTask<SyscallDecision> OpenAsync(SupervisedSession session, SyscallEvent call, WorkspaceTree tree, MountedFileCalls calls, string rest, Found found)
    {
        var flags = call.Name == "creat" ? Creat | Trunc | 1 : HeldOpen.Read(session, call)?.Flags ?? 0;
        var writes = (flags & AccessModeMask) != 0 || (flags & (Creat | Trunc | TmpFile)) != 0;
        if (!writes) return found.Exists ? calls.Open(found.Layer == Layer.Upper ? _upper : _lower, rest, _layout.Shown(rest), calls.ReadOnly) : SyscallDecision.Deny(Errno.ENOENT);
        if (!found.Exists)
        {
            if ((flags & Creat) == 0) return SyscallDecision.Deny(Errno.ENOENT);
            if (tree.EnsureParents(rest) is var made and < 0) return SyscallDecision.Deny(-made);
            return calls.Open(_upper, rest, _layout.Shown(rest), calls.ReadOnly);
        }
        if ((flags & (Creat | Excl)) == (Creat | Excl)) return SyscallDecision.Deny(Errno.EEXIST);
        if (found.Status.IsDirectory && (flags & TmpFile) == 0) return SyscallDecision.Deny(Errno.EISDIR);
        // Opened for writing: from now on the file is the upper folder's copy.
        var truncated = (flags & Trunc) != 0 && (flags & AccessModeMask) != 0;
        if (await tree.CopyUpAsync(rest, truncated).ConfigureAwait(false) is var copied and < 0)
            return copied == -Errno.ENOSPC ? OverQuota(calls, rest, tree) : SyscallDecision.Deny(-copied);
        return calls.Open(_upper, rest, _layout.Shown(rest), calls.ReadOnly);
    }

    private SyscallDecision OverQuota(MountedFileCalls calls, string rest, WorkspaceTree tree) =>
        calls.Refuse(_layout.Shown(rest), Errno.ENOSPC, $"max_disk {new ByteSize(tree.Quota!.Limit)}: the copy-on-write changes may grow no further");

    private async ValueTask<SyscallDecision> TwoPathsAsync(SupervisedSession session, SyscallEvent call, WorkspaceTree tree, MountedFileCalls calls,
        WorkingDirectories directories, (int DirFd, int Path, int NewDirFd, int NewPath) args)
    {
        var link = call.Name is "link" or "linkat";
        var followSource = call.Name == "linkat" && ((int)call.Args[4] & 0x400 /* AT_SYMLINK_FOLLOW */) != 0;
        if (Target(session, call, tree, directories, args.DirFd, call.Args[args.Path], link && followSource) is not { } from
            || Target(session, call, tree, directories, args.NewDirFd, call.Args[args.NewPath], followLast: false) is not { } to)
            return SyscallDecision.Allow;
        var fromInside = from.Resolved is { Outside: null };
        var toInside = to.Resolved is { Outside: null };
        if (!fromInside && !toInside) return from.Resolved.TouchedUpper || to.Resolved.TouchedUpper ? SyscallDecision.Deny(Errno.EXDEV) : SyscallDecision.Allow;
        // As between two filesystems, nothing is renamed or linked across the workdir's edge.
        if (fromInside != toInside) return SyscallDecision.Deny(Errno.EXDEV);
        if (from.Resolved.Error != 0) return SyscallDecision.Deny(from.Resolved.Error);
        if (to.Resolved.Error != 0) return SyscallDecision.Deny(to.Resolved.Error);
        if ((Refusal(calls, from.Resolved.Rest!) ?? Refusal(calls, to.Resolved.Rest!)) is { } refused) return refused;
        var result = link
            ? await tree.LinkAsync(from.Resolved.Rest!, to.Resolved.Rest!).ConfigureAwait(false)
            : await tree.RenameAsync(from.Resolved.Rest!, to.Resolved.Rest!, call.Name == "renameat2" ? (uint)call.Args[4] : 0).ConfigureAwait(false);
        return result == -Errno.ENOSPC ? OverQuota(calls, to.Resolved.Rest!, tree) : Outcome(result);
    }

    /// <summary>fchmod, fchown, xattr changes and utimensat on an fd: a workdir file is copied up and the copy changed.</summary>
    private async ValueTask<SyscallDecision> OnFdAsync(SupervisedSession session, SyscallEvent call, WorkspaceTree tree, MountedFileCalls calls, int fd)
    {
        if (ChildPaths.HostDirectory(call.Pid, fd) is not { } host || tree.InUpper(host) || tree.RestOf(host) is not { } rest) return SyscallDecision.Allow;
        if (!SeccompNotify.IsValid(session.Listener, call.Id)) return SyscallDecision.Deny(Errno.EBADF);
        if (await tree.CopyUpAsync(rest).ConfigureAwait(false) is var copied and < 0) return SyscallDecision.Deny(-copied);
        var upper = _layout.Upper + (rest.Length == 0 ? "" : "/" + rest);
        return call.Name switch
        {
            "fchmod" => Outcome(FileCalls.ChmodAt(FileCalls.AtFdCwd, upper, (uint)call.Args[1] & 0xFFF, 0)),
            "utimensat" => calls.Change(_upper, rest),
            // Ownership and attributes of a workdir file through its fd: refused rather than done on the wrong file.
            _ => calls.Refuse(_layout.Shown(rest), Errno.EPERM, $"workdir: {call.Name} on an fd opened before the file was changed; change it by its path"),
        };
    }

    /// <summary>A path that leaves the workdir (by '..' or a symlink): the kernel walks it when it would walk it alike.</summary>
    private SyscallDecision OutOfWorkdir(SyscallEvent call, MountedFileCalls calls, WorkspaceTarget target, string outside)
    {
        if (target.KernelWalks) return SyscallDecision.Allow;
        var inRoot = outside.TrimStart('/');
        return call.Name switch
        {
            "stat" or "lstat" or "newfstatat" or "statx" => calls.Stat(_childRoot, inRoot),
            "readlink" or "readlinkat" => calls.ReadLink(_childRoot, inRoot),
            _ => calls.Refuse(outside, Errno.EACCES,
                $"workdir: the path leads out of {_layout.Lower} through a symlink or folder the command made there, which the kernel cannot follow; name {outside} itself"),
        };
    }

    private SyscallDecision WorkingDirectory(SupervisedSession session, SyscallEvent call, WorkspaceTree tree, WorkingDirectories directories)
    {
        var inside = directories.Of(call.Pid);
        if (inside is null && ChildPaths.HostDirectory(call.Pid, HeldOpen.AtFdCwd) is { } host && tree.InUpper(host)) inside = _layout.Shown(tree.RestOf(host)!);
        if (inside is null) return SyscallDecision.Allow;
        var bytes = System.Text.Encoding.UTF8.GetBytes(inside + "\0");
        if ((ulong)bytes.Length > call.Args[1]) return SyscallDecision.Deny(Errno.ERANGE);
        return ChildAccess.Write(session, call, call.Args[0], bytes) ? SyscallDecision.Result(bytes.Length) : SyscallDecision.Deny(Errno.EFAULT);
    }

    /// <summary>
    /// <see cref="KernelWalks"/>: the kernel, walking the path from where the caller's own base is, reaches the same
    /// file. <see cref="FromUpper"/>: a relative path from a working directory or fd in the upper folder.
    /// </summary>
    private sealed record WorkspaceTarget(Resolved Resolved, bool KernelWalks, bool FromUpper, bool KernelBase);

    /// <summary>Whether the call follows a symlink in its last component, as the kernel decides it for each syscall.</summary>
    private static bool FollowsLast(SupervisedSession session, SyscallEvent call) => call.Name switch
    {
        "lstat" or "readlink" or "readlinkat" or "unlink" or "rmdir" or "unlinkat" or "mkdir" or "mkdirat" or "mknod" or "mknodat"
            or "symlink" or "symlinkat" or "lchown" or "lgetxattr" or "llistxattr" or "lsetxattr" or "lremovexattr" => false,
        "newfstatat" or "fchownat" => ((int)call.Args[call.Name == "newfstatat" ? 3 : 4] & FileCalls.AtSymlinkNofollow) == 0,
        "statx" or "utimensat" => ((int)call.Args[call.Name == "statx" ? 2 : 3] & FileCalls.AtSymlinkNofollow) == 0,
        "faccessat2" => ((int)call.Args[3] & FileCalls.AtSymlinkNofollow) == 0,
        "open" or "openat" or "openat2" or "creat" => call.Name != "creat" && HeldOpen.Read(session, call) is { } open
            && (open.Flags & (ulong)Libc.O_NOFOLLOW) == 0 && (open.Flags & (Creat | Excl)) != (Creat | Excl) || call.Name == "creat",
        _ => true,
    };

    /// <summary>Null when the call names no path under the workdir (or its base cannot be read): the kernel's then.</summary>
    private WorkspaceTarget? Target(SupervisedSession session, SyscallEvent call, WorkspaceTree tree, WorkingDirectories directories,
        int dirArg, ulong address, bool followLast)
    {
        if (address == 0 || ChildAccess.ReadString(session, call, address) is not { Length: > 0 } path) return null;
        var directoryFd = dirArg < 0 ? HeldOpen.AtFdCwd : (int)call.Args[dirArg];
        bool kernelWalks = true, fromUpper = false;
        var parts = new List<string>();
        if (!path.StartsWith('/'))
        {
            string baseDirectory;
            if (directoryFd == HeldOpen.AtFdCwd && directories.Of(call.Pid) is { } recorded)
            {
                baseDirectory = recorded;
                kernelWalks = false;
            }
            else if (ChildPaths.HostDirectory(call.Pid, directoryFd) is { } host)
            {
                fromUpper = tree.InUpper(host);
                baseDirectory = tree.RestOf(host) is { } baseRest ? _layout.Shown(baseRest) : host;
            }
            else return null;
            parts.AddRange(baseDirectory.Split('/', StringSplitOptions.RemoveEmptyEntries));
        }
        var workdir = _layout.Lower.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var components = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        bool Inside() => parts.Count >= workdir.Length && parts.Take(workdir.Length).SequenceEqual(workdir, StringComparer.Ordinal);
        // Outside the workdir the path is taken lexically (as fs_mount does) until it enters it.
        var next = 0;
        while (!Inside() && next < components.Length)
        {
            var part = components[next++];
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); }
            else if (part != ".") parts.Add(part);
        }
        if (!Inside()) return null;
        // A trailing slash asks for a folder, following a symlink to one.
        var follow = followLast || path.EndsWith('/');
        var resolved = tree.Resolve(parts.Skip(workdir.Length).Concat(components.Skip(next)), follow);
        // From the upper folder the kernel walks only it; from the workdir (or outside) only the workdir.
        var alike = fromUpper ? !resolved.TouchedLower && resolved.Outside is null : !resolved.TouchedUpper;
        return new WorkspaceTarget(resolved, kernelWalks && alike, fromUpper, kernelWalks);
    }

    private SyscallDecision? Refusal(MountedFileCalls calls, string rest)
    {
        var shown = _layout.Shown(rest);
        return _denied.FirstOrDefault(d => PathTree.IsSameOrUnder(shown, d.Host)).Rule is { } rule
            ? calls.Refuse(shown, Errno.EACCES, $"fs_deny {rule}")
            : null;
    }

    private static SyscallDecision Outcome(int result) => result >= 0 ? SyscallDecision.Result(0) : SyscallDecision.Deny(-result);

    private static ValueTask<SyscallDecision> Done(SyscallDecision decision) => ValueTask.FromResult(decision);
}

/// <summary>The folders MountedFileCalls opens beneath, held for one sandbox.</summary>
internal sealed class WorkspaceRoots(MountRoots roots) : IDisposable
{
    public MountRoots Roots { get; } = roots;

    public void Dispose() => Roots.Dispose();
}
