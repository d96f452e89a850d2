using System.Runtime.InteropServices;
using System.Text;
using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Supervision.Mounts;

/// <summary>
/// One held call under a mount, done by the supervisor in the mount's host folder: the caller's arguments are read
/// as its syscall defines them, and the answer is written back where the caller expects it.
/// </summary>
internal sealed class MountedFileCalls(SupervisedSession session, SyscallEvent call, MountRoots mounts)
{
    private const int Wok = 2, Xok = 1;
    // The open(2) flags openat2 knows on x86_64 and aarch64 alike (bits 0-1 and 6-22); open ignores others, openat2 refuses them.
    private const ulong OpenFlagsMask = 0x7FFFC3, AccessModeMask = 3, Creat = 0x40, Trunc = 0x200, TmpFile = 0x400000;
    private const uint ModeMask = 0xFFF;  // 07777
    private static readonly ulong PathFlags = (ulong)(Libc.O_DIRECTORY | Libc.O_CLOEXEC);
    private const ulong ResolveUserFlags = 0x01 | 0x02 | 0x04;  // RESOLVE_NO_XDEV, NO_MAGICLINKS, NO_SYMLINKS
    private static readonly int StatSize = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 128 : 144;
    private static readonly ulong NoFollow = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000UL : 0x20000UL;

    private IReadOnlyList<ulong> Args => call.Args;

    public SyscallDecision Open(FsMount mount, string rest, string virtualPath, Func<string, FsMount, SyscallDecision> readOnly)
    {
        ulong flags, mode, resolve = 0;
        switch (call.Name)
        {
            case "open": (flags, mode) = (Args[1] & OpenFlagsMask, Args[2]); break;
            case "creat": (flags, mode) = (Creat | Trunc | Libc.O_WRONLY, Args[1]); break;
            case "openat": (flags, mode) = (Args[2] & OpenFlagsMask, Args[3]); break;
            default:
                Span<byte> how = stackalloc byte[24];
                if (Args[3] < 24 || !ChildAccess.Read(session, call, Args[2], how)) return SyscallDecision.Deny(Errno.EFAULT);
                (flags, mode, resolve) = (BitConverter.ToUInt64(how), BitConverter.ToUInt64(how[8..]), BitConverter.ToUInt64(how[16..]));
                break;
        }
        if (mount.ReadOnly && ((flags & AccessModeMask) != 0 || (flags & (Creat | Trunc | TmpFile)) != 0)) return readOnly(virtualPath, mount);
        // The file is made by the supervisor: the caller's umask is applied here, as the kernel would.
        mode = (flags & (Creat | TmpFile)) != 0 ? mode & ModeMask & ~(ulong)Umask() : 0;
        // An O_PATH fd cannot be handed over (the kernel's fget refuses it): a read-only, non-blocking open stands in.
        if ((flags & (ulong)Libc.O_PATH) != 0) flags = (flags & (PathFlags | NoFollow)) | (ulong)Libc.O_NONBLOCK;
        var fd = OpenBeneath(mount, rest, flags, mode, resolve & ResolveUserFlags);
        if (fd < 0) return SyscallDecision.Deny(-fd);
        try
        {
            var closeOnExec = (flags & (ulong)Libc.O_CLOEXEC) != 0;
            return SeccompNotify.SendFd(session.Listener, call.Id, fd, closeOnExec) >= 0
                ? SyscallDecision.Done
                : SyscallDecision.Deny(Libc.LastError);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    public SyscallDecision Stat(FsMount mount, string rest)
    {
        var (flags, buffer) = call.Name switch
        {
            "stat" => (0UL, Args[1]),
            "lstat" => ((ulong)FileCalls.AtSymlinkNofollow, Args[1]),
            "newfstatat" => (Args[3], Args[2]),
            _ => (Args[2], Args[4]),
        };
        return OnPath(mount, rest, (flags & FileCalls.AtSymlinkNofollow) != 0, fd =>
        {
            Span<byte> result = stackalloc byte[256];
            var statx = call.Name == "statx";
            var done = statx ? FileCalls.Statx(fd, (int)(flags & 0x6000 /* AT_STATX_SYNC_TYPE */), (uint)Args[3], result) : FileCalls.Stat(fd, result);
            if (done < 0) return SyscallDecision.Deny(Libc.LastError);
            return ChildAccess.Write(session, call, buffer, result[..(statx ? 256 : StatSize)]) ? SyscallDecision.Result(0) : SyscallDecision.Deny(Errno.EFAULT);
        });
    }

    public SyscallDecision Access(FsMount mount, string rest, string virtualPath, Func<string, FsMount, SyscallDecision> readOnly)
    {
        var (mode, flags) = call.Name switch
        {
            "access" => ((int)Args[1], 0),
            "faccessat" => ((int)Args[2], 0),
            _ => ((int)Args[2], (int)Args[3]),
        };
        if (mount.ReadOnly && (mode & Wok) != 0) return readOnly(virtualPath, mount);
        return OnPath(mount, rest, (flags & FileCalls.AtSymlinkNofollow) != 0,
            fd => FileCalls.Access(fd, mode, flags & FileCalls.AtEaccess) == 0 ? SyscallDecision.Result(0) : SyscallDecision.Deny(Libc.LastError));
    }

    public SyscallDecision ReadLink(FsMount mount, string rest)
    {
        var (buffer, size) = call.Name == "readlink" ? (Args[1], (long)Args[2]) : (Args[2], (long)Args[3]);
        if (size <= 0) return SyscallDecision.Deny(Errno.EINVAL);
        return OnPath(mount, rest, noFollow: true, fd =>
        {
            var target = new byte[Math.Min(size, 4096)];
            var length = FileCalls.ReadLink(fd, target);
            if (length < 0) return SyscallDecision.Deny(Libc.LastError);
            return ChildAccess.Write(session, call, buffer, target.AsSpan(0, length)) ? SyscallDecision.Result(length) : SyscallDecision.Deny(Errno.EFAULT);
        });
    }

    /// <summary>getxattr and listxattr (following links or not, as the caller asked).</summary>
    public SyscallDecision Attributes(FsMount mount, string rest)
    {
        var list = call.Name is "listxattr" or "llistxattr";
        var (buffer, size) = list ? (Args[1], (long)Args[2]) : (Args[2], (long)Args[3]);
        string? name = null;
        if (!list && (name = ChildAccess.ReadString(session, call, Args[1])) is null) return SyscallDecision.Deny(Errno.EFAULT);
        return OnPath(mount, rest, call.Name[0] == 'l', fd =>
        {
            var value = new byte[Math.Clamp(size, 0, 65536)];
            var length = list ? FileCalls.ListXattr(ProcSelfFd(fd), value) : FileCalls.GetXattr(ProcSelfFd(fd), name!, value);
            if (length < 0) return SyscallDecision.Deny(Libc.LastError);
            return value.Length == 0 || ChildAccess.Write(session, call, buffer, value.AsSpan(0, length))
                ? SyscallDecision.Result(length)
                : SyscallDecision.Deny(Errno.EFAULT);
        });
    }

    public SyscallDecision FileSystemStats(FsMount mount, string rest) => OnPath(mount, rest, noFollow: false, fd =>
    {
        Span<byte> result = stackalloc byte[120];
        if (FileCalls.StatFs(ProcSelfFd(fd), result) < 0) return SyscallDecision.Deny(Libc.LastError);
        return ChildAccess.Write(session, call, Args[1], result) ? SyscallDecision.Result(0) : SyscallDecision.Deny(Errno.EFAULT);
    });

    /// <summary>mkdir, mknod, unlink, rmdir, symlink, chmod, chown, truncate, utimensat and xattr changes in a writable mount.</summary>
    public SyscallDecision Change(FsMount mount, string rest)
    {
        switch (call.Name)
        {
            case "chmod" or "fchmodat":
                return OnFile(mount, rest, noFollow: false, fd => FileCalls.ChmodAt(FileCalls.AtFdCwd, ProcSelfFd(fd), (uint)Args[call.Name == "chmod" ? 1 : 2] & ModeMask, 0));
            case "truncate":
                var file = OpenBeneath(mount, rest, (ulong)Libc.O_WRONLY);
                if (file < 0) return SyscallDecision.Deny(-file);
                try { return Outcome(FileCalls.Truncate(file, (long)Args[1])); }
                finally { Libc.Close(file); }
            case "chown" or "lchown" or "fchownat":
                var (ownerArg, noFollow) = call.Name switch
                {
                    "chown" => (1, false),
                    "lchown" => (1, true),
                    _ => (2, ((int)Args[4] & FileCalls.AtSymlinkNofollow) != 0),
                };
                return OnFile(mount, rest, noFollow, fd => FileCalls.Chown(fd, (uint)Args[ownerArg], (uint)Args[ownerArg + 1]));
            case "setxattr" or "lsetxattr":
                if (ChildAccess.ReadString(session, call, Args[1]) is not { } attribute) return SyscallDecision.Deny(Errno.EFAULT);
                var value = new byte[Math.Min(Args[3], 65536)];
                if (value.Length > 0 && !ChildAccess.Read(session, call, Args[2], value)) return SyscallDecision.Deny(Errno.EFAULT);
                return OnFile(mount, rest, call.Name[0] == 'l', fd => FileCalls.SetXattr(ProcSelfFd(fd), attribute, value, (int)Args[4]));
            case "removexattr" or "lremovexattr":
                if (ChildAccess.ReadString(session, call, Args[1]) is not { } removed) return SyscallDecision.Deny(Errno.EFAULT);
                return OnFile(mount, rest, call.Name[0] == 'l', fd => FileCalls.RemoveXattr(ProcSelfFd(fd), removed));
            case "utimensat":
                Span<byte> times = stackalloc byte[32];
                if (Args[2] != 0 && !ChildAccess.Read(session, call, Args[2], times)) return SyscallDecision.Deny(Errno.EFAULT);
                var bytes = Args[2] == 0 ? [] : times.ToArray();
                return OnFile(mount, rest, ((int)Args[3] & FileCalls.AtSymlinkNofollow) != 0, fd => FileCalls.UtimensAt(FileCalls.AtFdCwd, ProcSelfFd(fd), bytes, 0));
        }
        // The rest name an entry of a folder: the mount point itself is not one that can be made or removed.
        if (rest.Length == 0) return SyscallDecision.Deny(call.Name is "mkdir" or "mkdirat" or "symlink" or "symlinkat" or "mknod" or "mknodat" ? Errno.EEXIST : Errno.EBUSY);
        var (parent, name) = ParentBeneath(mount, rest);
        if (parent < 0) return SyscallDecision.Deny(-parent);
        try
        {
            return call.Name switch
            {
                "mkdir" => Outcome(FileCalls.MkdirAt(parent, name, (uint)Args[1] & ModeMask & ~Umask())),
                "mkdirat" => Outcome(FileCalls.MkdirAt(parent, name, (uint)Args[2] & ModeMask & ~Umask())),
                "unlink" => Outcome(FileCalls.UnlinkAt(parent, name, 0)),
                "rmdir" => Outcome(FileCalls.UnlinkAt(parent, name, FileCalls.AtRemoveDir)),
                "unlinkat" => Outcome(FileCalls.UnlinkAt(parent, name, (int)Args[2] & FileCalls.AtRemoveDir)),
                "mknod" or "mknodat" => MakeNode(parent, name, call.Name == "mknod" ? (uint)Args[1] : (uint)Args[2], call.Name == "mknod" ? Args[2] : Args[3]),
                _ => ChildAccess.ReadString(session, call, Args[0]) is { } linkTarget
                    ? Outcome(FileCalls.SymlinkAt(linkTarget, parent, name))
                    : SyscallDecision.Deny(Errno.EFAULT),
            };
        }
        finally
        {
            Libc.Close(parent);
        }
    }

    /// <summary>mknod of what an unprivileged program may make (FIFOs, sockets, plain files); device nodes are refused.</summary>
    private SyscallDecision MakeNode(int parent, string name, uint mode, ulong device)
    {
        const uint typeMask = 0xF000, fifo = 0x1000, regular = 0x8000, socket = 0xC000;
        var type = mode & typeMask;
        if (type is not (0 or fifo or regular or socket)) return SyscallDecision.Deny(Errno.EPERM);
        return Outcome(FileCalls.MknodAt(parent, name, type | (mode & ModeMask & ~Umask()), device));
    }

    /// <summary>rename and link within one writable mount.</summary>
    public SyscallDecision Move(FsMount mount, string fromRest, string toRest)
    {
        if (fromRest.Length == 0 || toRest.Length == 0) return SyscallDecision.Deny(Errno.EBUSY);
        var (from, fromName) = ParentBeneath(mount, fromRest);
        if (from < 0) return SyscallDecision.Deny(-from);
        var (to, toName) = ParentBeneath(mount, toRest);
        try
        {
            if (to < 0) return SyscallDecision.Deny(-to);
            return call.Name switch
            {
                "rename" or "renameat" => Outcome(FileCalls.RenameAt2(from, fromName, to, toName, 0)),
                "renameat2" => Outcome(FileCalls.RenameAt2(from, fromName, to, toName, (uint)Args[4])),
                _ => Outcome(FileCalls.LinkAt(from, fromName, to, toName, 0)),
            };
        }
        finally
        {
            Libc.Close(from);
            if (to >= 0) Libc.Close(to);
        }
    }

    /// <summary>
    /// An execve cannot be done on the caller's behalf: the file is opened here, installed in the caller, and the
    /// caller's path is overwritten with /proc/self/fd/N (or /dev/fd/N) before its call goes on. The kernel then checks that
    /// file against the caller's own Landlock rules, which grant the mount's folder.
    /// </summary>
    public SyscallDecision PointAtOpenedFile(FsMount mount, MountedPath target, ulong address, string fdLinks, string? callerDirectory)
    {
        if (SharedLiteral.Is(call.Pid, address))
            return Refuse(target.VirtualPath, Errno.EACCES,
                $"fs_mount: {call.Name} of {target.VirtualPath} names it by a string in the program's own file, in memory it shares with its parent until the exec (vfork, posix_spawn), which cannot be rewritten; pass a copy of the path");
        var room = ChildAccess.ReadString(session, call, address) is { } given ? Encoding.UTF8.GetByteCount(given) : 0;
        // From a working directory in the same mount, the path relative to it reaches the file too, and may be shorter
        // (the caller's memory is replaced by a successful execve, so the rewritten string is not seen again).
        if (callerDirectory is not null && mount.Covers(callerDirectory)
            && Path.GetRelativePath(callerDirectory, target.VirtualPath) is { } relative && Encoding.UTF8.GetByteCount(relative) <= room)
            return PointExecAt(address, relative) ? SyscallDecision.Allow : SyscallDecision.Deny(Errno.EFAULT);
        // Checked before the fd is installed, which could not be taken back: it will take the lowest free number.
        var needed = fdLinks.Length + LowestFreeFd().ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        if (room < needed)
            return Refuse(target.VirtualPath, Errno.ENAMETOOLONG,
                $"fs_mount: {call.Name} of {target.VirtualPath} must be pointed at {fdLinks}N, which is longer than the path the program gave; "
                + $"spell it longer (such as {Padded(target.VirtualPath, needed)})");
        var fd = OpenBeneath(mount, target.Rest, Libc.O_RDONLY);
        if (fd < 0) return SyscallDecision.Deny(-fd);
        try
        {
            // A script's interpreter opens the fd's link again after the execve: for scripts the fd must survive it.
            Span<byte> start = stackalloc byte[2];
            var script = ProcessMemory.ReadAt(fd, 0, start) && start.SequenceEqual("#!"u8);
            var installed = SeccompNotify.InstallFd(session.Listener, call.Id, fd, closeOnExec: !script);
            if (installed < 0) return SyscallDecision.Deny(Libc.LastError);
            return PointExecAt(address, fdLinks + installed) ? SyscallDecision.Allow : SyscallDecision.Deny(Errno.ENAMETOOLONG);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>
    /// getcwd for a caller whose working directory lies in a mount: <paramref name="recorded"/>, or the kernel's,
    /// which the kernel cannot name from the caller's root.
    /// </summary>
    public SyscallDecision WorkingDirectory(ChildRoot root, string? recorded)
    {
        var inside = recorded;
        if (inside is null)
        {
            var host = ChildPaths.HostDirectory(call.Pid, HeldOpen.AtFdCwd);
            if (host is null || root.Mounts.All(m => !m.Holds(host)) || (inside = root.Inside(host)) is null) return SyscallDecision.Allow;
        }
        var bytes = Encoding.UTF8.GetBytes(inside + "\0");
        if ((ulong)bytes.Length > Args[1]) return SyscallDecision.Deny(Errno.ERANGE);
        return ChildAccess.Write(session, call, Args[0], bytes) ? SyscallDecision.Result(bytes.Length) : SyscallDecision.Deny(Errno.EFAULT);
    }

    /// <summary>A chdir into a mount the kernel cannot walk: checked as the kernel would, then recorded.</summary>
    public SyscallDecision RecordedChdir(FsMount mount, MountedPath target, WorkingDirectories directories)
    {
        var fd = OpenBeneath(mount, target.Rest, (ulong)(Libc.O_PATH | Libc.O_DIRECTORY));
        if (fd < 0) return SyscallDecision.Deny(-fd);
        try
        {
            // Search permission, which chdir needs; the open as a path did not ask for it.
            if (FileCalls.Access(fd, Xok, 0) != 0) return SyscallDecision.Deny(Libc.LastError);
        }
        finally
        {
            Libc.Close(fd);
        }
        directories.Set(call.Pid, target.VirtualPath);
        return SyscallDecision.Result(0);
    }

    /// <summary>Overwrites the execve path in the caller's memory with <paramref name="path"/>, if it fits in the bytes the old one took.</summary>
    private bool PointExecAt(ulong address, string path)
    {
        var old = ChildAccess.ReadString(session, call, address);
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        return old is not null && bytes.Length <= Encoding.UTF8.GetByteCount(old) + 1 && ChildAccess.Overwrite(session, call, address, bytes);
    }

    /// <summary>Fails the call with <paramref name="errno"/> and records the denial for the sandbox's result.</summary>
    public SyscallDecision Refuse(string path, int errno, string rule)
    {
        session.Deny(new Denial(call.Name, path, call.Pid, rule));
        return SyscallDecision.Deny(errno);
    }

    public SyscallDecision ReadOnly(string path, FsMount mount) => Refuse(path, Errno.EROFS, $"fs_mount {mount.VirtualPath} is read-only");

    /// <summary>Opens beneath the mount (see <see cref="MountRoots.Open"/>); a refusal by a denied path is recorded.</summary>
    private int OpenBeneath(FsMount mount, string rest, ulong flags, ulong mode = 0, ulong resolve = 0)
    {
        var fd = mounts.Open(mount, rest, flags, out var deniedBy, mode, resolve);
        if (deniedBy is not null) Refuse(Shown(mount, rest), Errno.EACCES, $"fs_deny {deniedBy}");
        return fd;
    }

    private (int Fd, string Name) ParentBeneath(FsMount mount, string rest)
    {
        var parent = mounts.OpenParent(mount, rest, out var deniedBy);
        if (deniedBy is not null) Refuse(Shown(mount, rest), Errno.EACCES, $"fs_deny {deniedBy}");
        return parent;
    }

    private static string Shown(FsMount mount, string rest) => rest.Length == 0 ? mount.VirtualPath : mount.VirtualPath.TrimEnd('/') + "/" + rest;

    private int LowestFreeFd()
    {
        try
        {
            var taken = Directory.EnumerateFileSystemEntries($"/proc/{call.Pid}/fd").Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
            var fd = 0;
            while (taken.Contains(fd.ToString(System.Globalization.CultureInfo.InvariantCulture))) fd++;
            return fd;
        }
        catch (IOException) { return 100; }
        catch (UnauthorizedAccessException) { return 100; }
    }

    private SyscallDecision OnFile(FsMount mount, string rest, bool noFollow, Func<int, int> change) =>
        OnPath(mount, rest, noFollow, fd => Outcome(change(fd)));

    /// <summary>Runs <paramref name="use"/> on the file opened as a path (O_PATH), which it may only look at or name.</summary>
    private SyscallDecision OnPath(FsMount mount, string rest, bool noFollow, Func<int, SyscallDecision> use)
    {
        var fd = OpenBeneath(mount, rest, (uint)Libc.O_PATH | (noFollow ? NoFollow : 0));
        if (fd < 0) return SyscallDecision.Deny(-fd);
        try { return use(fd); }
        finally { Libc.Close(fd); }
    }

    private uint Umask() => ProcessStatus.Read(call.Pid)?.Umask ?? Convert.ToUInt32("022", 8);

    /// <summary>The same path with leading slashes up to <paramref name="length"/> characters: the kernel reads them as one.</summary>
    private static string Padded(string path, int length) => path.PadLeft(Math.Max(length, path.Length), '/');

    private static string ProcSelfFd(int fd) => $"/proc/self/fd/{fd}";

    private static SyscallDecision Outcome(int result) => result >= 0 ? SyscallDecision.Result(0) : SyscallDecision.Deny(Libc.LastError);
}
