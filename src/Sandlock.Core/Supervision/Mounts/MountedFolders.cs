using Sandlock.Interop;
using System.Collections.Immutable;
using Sandlock.Policy;

namespace Sandlock.Supervision.Mounts;

/// <summary>
/// Shows each mount's host folder at its mount point without a mount namespace. Every syscall that takes a path is
/// held; one whose path lands under a mount point is done by the supervisor in the host folder (opens hand the
/// caller the fd, stats write the caller's buffer); an execve, which the caller must do itself, is pointed at
/// /dev/fd/N of a file the supervisor opened for it; a chdir the kernel cannot walk is recorded
/// (<see cref="WorkingDirectories"/>). Paths elsewhere go on to the kernel, under
/// the caller's own Landlock rules. Landlock also grants each mount's folder (read-only mounts for reading only), so
/// what the caller does through those fds is confined the same way.
/// </summary>
internal sealed class MountedFolders : SyscallHandler
{
    // Where each syscall takes its directory fd (-1: none, the cwd) and its path.
    internal static readonly Dictionary<string, (int DirFd, int Path)> SinglePath = new(StringComparer.Ordinal)
    {
        ["open"] = (-1, 0), ["creat"] = (-1, 0), ["openat"] = (0, 1), ["openat2"] = (0, 1),
        ["stat"] = (-1, 0), ["lstat"] = (-1, 0), ["newfstatat"] = (0, 1), ["statx"] = (0, 1),
        ["access"] = (-1, 0), ["faccessat"] = (0, 1), ["faccessat2"] = (0, 1),
        ["readlink"] = (-1, 0), ["readlinkat"] = (0, 1),
        ["mkdir"] = (-1, 0), ["mkdirat"] = (0, 1), ["unlink"] = (-1, 0), ["rmdir"] = (-1, 0), ["unlinkat"] = (0, 1),
        ["symlink"] = (-1, 1), ["symlinkat"] = (1, 2),
        ["chmod"] = (-1, 0), ["fchmodat"] = (0, 1), ["truncate"] = (-1, 0), ["utimensat"] = (0, 1),
        ["chdir"] = (-1, 0), ["execve"] = (-1, 0), ["execveat"] = (0, 1),
        ["getxattr"] = (-1, 0), ["lgetxattr"] = (-1, 0), ["listxattr"] = (-1, 0), ["llistxattr"] = (-1, 0), ["statfs"] = (-1, 0),
        ["setxattr"] = (-1, 0), ["lsetxattr"] = (-1, 0), ["removexattr"] = (-1, 0), ["lremovexattr"] = (-1, 0),
        ["chown"] = (-1, 0), ["lchown"] = (-1, 0), ["fchownat"] = (0, 1), ["mknod"] = (-1, 0), ["mknodat"] = (0, 1),
    };

    // Where each two-path syscall takes its (dirfd, path) pairs.
    internal static readonly Dictionary<string, (int DirFd, int Path, int NewDirFd, int NewPath)> TwoPaths = new(StringComparer.Ordinal)
    {
        ["rename"] = (-1, 0, -1, 1), ["renameat"] = (0, 1, 2, 3), ["renameat2"] = (0, 1, 2, 3),
        ["link"] = (-1, 0, -1, 1), ["linkat"] = (0, 1, 2, 3),
    };


    private readonly ChildRoot _root;
    private readonly ImmutableArray<string> _denied;
    private readonly IReadOnlyList<(string Host, string Rule)> _deniedHosts;
    private readonly string? _fdLinks;
    private readonly FsMount _childRoot;

    public MountedFolders(SandboxPolicy policy)
    {
        _root = ChildRoot.Canonical(policy);
        var chroot = _root.Chroot;
        _denied = policy.FsDenied;
        // The same paths where they really are, for files reached through symlinks in a mount.
        _deniedHosts = [.. _denied.Select(d => (Interop.LibcPaths.RealPath(_root.HostPathOf(d)) ?? _root.HostPathOf(d), d))];
        _fdLinks = FdLinks(chroot);
        // Not a mount: the caller's own root, which the supervisor only looks in (stats of paths out of a mount).
        _childRoot = new FsMount("/", chroot ?? "/", ReadOnly: true);
        Syscalls = [.. SinglePath.Keys, .. TwoPaths.Keys, "getcwd", "fchdir"];
    }

    public override IReadOnlyCollection<string> Syscalls { get; }

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var mounts = session.State(() => new MountRoots(_root.Mounts.Add(_childRoot), _deniedHosts));
        var directories = session.State(() => new WorkingDirectories());
        var calls = new MountedFileCalls(session, call, mounts);
        switch (call.Name)
        {
            case "getcwd":
                return ValueTask.FromResult(calls.WorkingDirectory(_root, directories.Of(call.Pid)));
            case "fchdir":
                directories.Set(call.Pid, null);
                return ValueTask.FromResult(SyscallDecision.Allow);
        }
        if (TwoPaths.TryGetValue(call.Name, out var pair)) return ValueTask.FromResult(HandleTwoPaths(session, call, calls, directories, pair));
        var (dirArg, pathArg) = SinglePath[call.Name];
        var address = call.Args[pathArg];
        if (Target(session, call, directories, dirArg, address) is not { } target) return ValueTask.FromResult(SyscallDecision.Allow);
        if (target.Mount is not { } mount)
        {
            if (target.LeavesMount) return ValueTask.FromResult(OutOfMount(call, calls, target));
            // The kernel walks this one itself, from the directory it holds.
            if (call.Name == "chdir") directories.Set(call.Pid, null);
            return ValueTask.FromResult(SyscallDecision.Allow);
        }
        if (Refusal(calls, target) is { } refused) return ValueTask.FromResult(refused);
        var decision = call.Name switch
        {
            "open" or "creat" or "openat" or "openat2" => calls.Open(mount, target.Rest, target.VirtualPath, calls.ReadOnly),
            "stat" or "lstat" or "newfstatat" or "statx" => calls.Stat(mount, target.Rest),
            "access" or "faccessat" or "faccessat2" => calls.Access(mount, target.Rest, target.VirtualPath, calls.ReadOnly),
            "readlink" or "readlinkat" => calls.ReadLink(mount, target.Rest),
            "getxattr" or "lgetxattr" or "listxattr" or "llistxattr" => calls.Attributes(mount, target.Rest),
            "statfs" => calls.FileSystemStats(mount, target.Rest),
            // From a working directory (or fd) in the mount itself the kernel finds the right file on its own.
            "chdir" when target.StaysInMount => KernelChdir(directories, call),
            "execve" or "execveat" when target.StaysInMount => SyscallDecision.Allow,
            // The kernel cannot walk there, and rewriting the path would change the string the program keeps (a
            // shell's PWD): the directory is recorded instead.
            "chdir" => calls.RecordedChdir(mount, target, directories),
            "execve" or "execveat" => _fdLinks is { } fdLinks
                ? calls.PointAtOpenedFile(mount, target, address, fdLinks, CallerDirectory(call.Pid))
                : calls.Refuse(target.VirtualPath, Errno.EACCES, "fs_mount: execve from a mount needs /proc mounted inside the chroot"),
            _ when mount.ReadOnly => calls.ReadOnly(target.VirtualPath, mount),
            _ => calls.Change(mount, target.Rest),
        };
        return ValueTask.FromResult(decision);
    }

    private static SyscallDecision KernelChdir(WorkingDirectories directories, SyscallEvent call)
    {
        directories.Set(call.Pid, null);
        return SyscallDecision.Allow;
    }

    private SyscallDecision HandleTwoPaths(SupervisedSession session, SyscallEvent call, MountedFileCalls calls,
        WorkingDirectories directories, (int DirFd, int Path, int NewDirFd, int NewPath) args)
    {
        if (Target(session, call, directories, args.DirFd, call.Args[args.Path]) is not { } from
            || Target(session, call, directories, args.NewDirFd, call.Args[args.NewPath]) is not { } to)
            return SyscallDecision.Allow;
        if (from.Mount is null && to.Mount is null)
            return from.LeavesMount || to.LeavesMount ? OutOfMount(call, calls, from.LeavesMount ? from : to) : SyscallDecision.Allow;
        // As between two mounts of a real system, nothing is renamed or linked across a mount's edge.
        if (from.Mount != to.Mount) return SyscallDecision.Deny(Errno.EXDEV);
        if ((Refusal(calls, from) ?? Refusal(calls, to)) is { } refused2) return refused2;
        if (from.Mount!.ReadOnly) return calls.ReadOnly(to.VirtualPath, from.Mount);
        return calls.Move(from.Mount, from.Rest, to.Rest);
    }

    /// <summary>
    /// Where the caller's fds show as links (an execve from a mount goes through one): the shortest spelling its tree
    /// has, as the path is rewritten in place; null when a chroot has no /proc mounted inside.
    /// </summary>
    internal static string? FdLinks(string? chroot)
    {
        var root = chroot ?? "";
        if (!Directory.Exists(root + "/proc/self/fd")) return null;
        try { return new FileInfo(root + "/dev/fd").LinkTarget is "/proc/self/fd" or "/proc/self/fd/" ? "/dev/fd/" : "/proc/self/fd/"; }
        catch (IOException) { return "/proc/self/fd/"; }
    }

    /// <summary>The caller's working directory as it sees it; null when unreadable or unseen.</summary>
    private string? CallerDirectory(int pid) =>
        ChildPaths.HostDirectory(pid, HeldOpen.AtFdCwd) is { } host ? _root.Inside(host) : null;

    /// <summary>Null when the call has no path to look at (none given, unreadable, or resolved from an unseen base).</summary>
    private MountedPath? Target(SupervisedSession session, SyscallEvent call, WorkingDirectories directories, int dirArg, ulong address)
    {
        if (address == 0 || ChildAccess.ReadString(session, call, address) is not { Length: > 0 } path) return null;
        var directoryFd = dirArg < 0 ? HeldOpen.AtFdCwd : (int)call.Args[dirArg];
        var recorded = path.StartsWith('/') || directoryFd != HeldOpen.AtFdCwd ? null : directories.Of(call.Pid);
        return MountedPath.Resolve(_root, call.Pid, directoryFd, path, recorded);
    }

    private SyscallDecision? Refusal(MountedFileCalls calls, MountedPath target) =>
        _denied.FirstOrDefault(d => Policy.PathTree.IsSameOrUnder(target.VirtualPath, d)) is { } rule
            ? calls.Refuse(target.VirtualPath, Errno.EACCES, $"fs_deny {rule}")
            : null;

    /// <summary>
    /// A path that passes through a mount and out of it with "..": the kernel would walk the host folder's parent.
    /// Looking (stat, access, readlink, xattrs) is done in the caller's own root, as Landlock governs none of it;
    /// anything else is refused.
    /// </summary>
    private SyscallDecision OutOfMount(SyscallEvent call, MountedFileCalls calls, MountedPath target)
    {
        var inRoot = target.VirtualPath.TrimStart('/');
        return call.Name switch
        {
            "stat" or "lstat" or "newfstatat" or "statx" => calls.Stat(_childRoot, inRoot),
            "access" or "faccessat" or "faccessat2" => calls.Access(_childRoot, inRoot, target.VirtualPath, (_, _) => SyscallDecision.Deny(Errno.EROFS)),
            "readlink" or "readlinkat" => calls.ReadLink(_childRoot, inRoot),
            "getxattr" or "lgetxattr" or "listxattr" or "llistxattr" => calls.Attributes(_childRoot, inRoot),
            "statfs" => calls.FileSystemStats(_childRoot, inRoot),
            _ => calls.Refuse(target.VirtualPath, Errno.EACCES,
                "fs_mount: the path passes through a mounted folder and out of it with '..', which the kernel would walk in the host folder's parent; give it without passing through the mount"),
        };
    }
}
