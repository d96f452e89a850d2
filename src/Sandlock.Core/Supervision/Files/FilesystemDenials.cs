using System.Runtime.CompilerServices;
using Sandlock.Confinement.Landlock;
using Sandlock.Policy;

namespace Sandlock.Supervision.Files;

/// <summary>
/// Makes Landlock's filesystem refusals visible: the path-opening and path-changing calls are held, the path is found
/// as the kernel will find it for the caller (<see cref="CallerPath"/>), and a call the ruleset will refuse is
/// recorded as a <see cref="Denial"/> naming the file. Every call then continues to the kernel, where Landlock alone
/// decides (with its own errno: EACCES, or EXDEV for a move across folders): the record is advisory (the file may
/// change between this look and the call) and can neither allow nor refuse anything itself.
/// </summary>
internal sealed class FilesystemDenials(SandboxPolicy policy, FsAccess handled, bool withoutProc, IReadOnlyList<FsRule>? planned = null)
    : SyscallHandler, IRestartable
{
    private const ulong AccessModeMask = 3, Creat = 0x40, Excl = 0x80, Trunc = 0x200, RemoveDirFlag = 0x200, SymlinkNoFollow = 0x100,
        EmptyPath = 0x1000, SymlinkFollow = 0x400;
    private const int AtFdCwd = HeldOpen.AtFdCwd;

    /// <summary>One record per file and kind of access: a program retrying a refused open does not grow the list.</summary>
    private const int MaxRecorded = 256;

    private readonly LandlockGrants _grants = new(policy, handled, withoutProc, planned);
    private readonly string _root = ChildRoot.Canonical(policy).Chroot ?? "/";
    private readonly ConditionalWeakTable<SupervisedSession, HashSet<(string, bool)>> _recorded = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string named, ulong flags), byte> _refusedNothing = new();
    private System.Collections.Concurrent.ConcurrentDictionary<(string Named, ulong Flags), byte>? _shared;

    /// <summary>A shared test child's next test starts with nothing recorded: it is told of each refusal again.</summary>
    public void Restart(ulong seed, SupervisedSession session)
    {
        if (_recorded.TryGetValue(session, out var seen))
            lock (seen) seen.Clear();
    }

    public override IReadOnlyCollection<string> Syscalls { get; } =
    [
        "open", "openat", "openat2", "creat", "mkdir", "mkdirat", "mknod", "mknodat", "unlink", "unlinkat", "rmdir",
        "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "truncate",
    ];

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session) =>
        ValueTask.FromResult(Decide(call, session));

    private SyscallDecision Decide(SyscallEvent call, SupervisedSession session)
    {
        var a = call.Args;
        return call.Name switch
        {
            "open" or "openat" when SeenAllowed(call) => SyscallDecision.Allow,
            "open" or "openat" or "openat2" => HeldOpen.Read(session, call) is { } open ? Open(call, session, open) : SyscallDecision.Allow,
            "creat" => Text(session, call, a[0]) is { } created ? Open(call, session, new HeldOpen(AtFdCwd, created, (ulong)Interop.Libc.O_WRONLY | Creat | Trunc, 0)) : SyscallDecision.Allow,
            "mkdir" => Make(call, session, AtFdCwd, Text(session, call, a[0]), FsAccess.MakeDir),
            "mkdirat" => Make(call, session, (int)a[0], Text(session, call, a[1]), FsAccess.MakeDir),
            "mknod" => Make(call, session, AtFdCwd, Text(session, call, a[0]), NodeRight(a[1])),
            "mknodat" => Make(call, session, (int)a[0], Text(session, call, a[1]), NodeRight(a[2])),
            "unlink" => Remove(call, session, AtFdCwd, Text(session, call, a[0]), directory: false),
            "rmdir" => Remove(call, session, AtFdCwd, Text(session, call, a[0]), directory: true),
            "unlinkat" => Remove(call, session, (int)a[0], Text(session, call, a[1]), directory: (a[2] & RemoveDirFlag) != 0),
            "rename" => Move(call, session, AtFdCwd, Text(session, call, a[0]), AtFdCwd, Text(session, call, a[1]), keepsSource: false),
            "renameat" or "renameat2" => Move(call, session, (int)a[0], Text(session, call, a[1]), (int)a[2], Text(session, call, a[3]), keepsSource: false),
            "link" => Move(call, session, AtFdCwd, Text(session, call, a[0]), AtFdCwd, Text(session, call, a[1]), keepsSource: true),
            // AT_EMPTY_PATH links an fd: nothing to find by path.
            "linkat" => (a[4] & EmptyPath) != 0 ? SyscallDecision.Allow
                : Move(call, session, (int)a[0], Text(session, call, a[1]), (int)a[2], Text(session, call, a[3]), keepsSource: true, (a[4] & SymlinkFollow) != 0),
            "symlink" => Make(call, session, AtFdCwd, Text(session, call, a[1]), FsAccess.MakeSym),
            "symlinkat" => Make(call, session, (int)a[1], Text(session, call, a[2]), FsAccess.MakeSym),
            "truncate" => Truncate(call, session, Text(session, call, a[0])),
            _ => SyscallDecision.Allow,
        };
    }

    /// <summary>
    /// An open of an absolute path that refused nothing before, with the same flags: let through with one read of the
    /// path and no more (the path is not validated against a recycled pid first: nothing is recorded here, and
    /// letting a call continue never allows more than the ruleset does).
    /// </summary>
    private bool SeenAllowed(SyscallEvent call)
    {
        var (address, flags) = call.Name == "open" ? (call.Args[0], call.Args[1]) : (call.Args[1], call.Args[2]);
        // The handlers before this one have most often read the path already.
        var named = call.TryGetOpen(out var held) && held is not null ? held.Path : Interop.ProcessMemory.ReadString(call.Pid, address);
        return named is not null && named.StartsWith('/') && RefusedNothing((named, RememberedFlags(flags)));
    }

    private bool RefusedNothing((string, ulong) key) => _refusedNothing.ContainsKey(key) || Shared.ContainsKey(key);

    /// <summary>What the sandboxes of this ruleset, under this root, have seen allowed (<see cref="SharedAllowedOpens"/>).</summary>
    private System.Collections.Concurrent.ConcurrentDictionary<(string Named, ulong Flags), byte> Shared =>
        _shared ??= SharedAllowedOpens.Of(_root + "\n" + _grants.Key);

    private void Remember((string, ulong) key, bool existed)
    {
        var opens = existed ? Shared : _refusedNothing;
        if (opens.Count >= SharedAllowedOpens.MaxPerRuleset) opens.Clear();
        opens.TryAdd(key, 0);
    }

    private static ulong RememberedFlags(ulong flags) => flags & (AccessModeMask | Creat | Excl | Trunc | (ulong)NoFollow);

    private static string? Text(SupervisedSession session, SyscallEvent call, ulong address) => ChildAccess.ReadString(session, call, address);

    private CallerPath? Find(SyscallEvent call, int directoryFd, string? named, bool followLast) =>
        named is null ? null : CallerPath.Find(call.Pid, directoryFd, named, followLast, _root);

    private SyscallDecision Open(SyscallEvent call, SupervisedSession session, HeldOpen open)
    {
        var flags = open.Flags;
        // An O_PATH open reads nothing and Landlock checks none.
        if ((flags & (ulong)Interop.Libc.O_PATH) != 0) return SyscallDecision.Allow;
        // A relative path is found from the caller's base once for every handler of the call (the /proc view's
        // look made it already); outside a chroot the caller's absolute path is the host's.
        var named = _root == "/" && open.Absolute(call.Pid) is { } absolute ? absolute : open.Path;
        var directoryFd = named.StartsWith('/') ? AtFdCwd : open.DirFd;
        // Every build step's shell opens the same libraries and files: an open that refused nothing is not looked at
        // again. The record is advisory, so a file swapped for a symlink since costs at most a record, never an access.
        var key = named.StartsWith('/') ? (named, RememberedFlags(flags)) : default;
        if (key.named is not null && RefusedNothing(key)) return SyscallDecision.Allow;
        if (OpenRefusal(call, directoryFd, named, flags, out var existed) is { } refusal)
            return Record(call, session, refusal.Named, refusal.Write);
        // Bounded: a program opening ever new paths (a build of a large tree) would otherwise grow it for good.
        if (key.named is not null) Remember(key, existed);
        return SyscallDecision.Allow;
    }

    /// <summary>What the ruleset will refuse an open: the file named and whether it was a write; null when nothing.</summary>
    private (string Named, bool Write)? OpenRefusal(SyscallEvent call, int directoryFd, string named, ulong flags, out bool existed)
    {
        existed = false;
        var writes = (flags & AccessModeMask) != 0;
        var noFollow = (flags & (ulong)NoFollow) != 0;
        // A read by absolute path outside a chroot is found with one open where the caller's root is the supervisor's.
        var file = _root == "/" && !writes && (flags & (Creat | Trunc)) == 0 && named.StartsWith('/')
            ? CallerPath.FindAbsolute(named, followLast: !noFollow) ?? Find(call, directoryFd, named, followLast: !noFollow)
            : Find(call, directoryFd, named, followLast: !noFollow);
        if (file is null) return null;
        existed = file.Exists;
        if (!file.Exists)
        {
            // Without O_CREAT the kernel's ENOENT comes first; with it, the entry is made in its folder.
            if ((flags & Creat) == 0) return null;
            return _grants.Refuses(file.HostParent, FsAccess.MakeReg) ? (file.HostPath, true) : null;
        }
        // O_CREAT|O_EXCL on an existing file: the kernel's EEXIST comes before any access check.
        if ((flags & (Creat | Excl)) == (Creat | Excl)) return null;
        var need = writes ? FsAccess.WriteFile : file.IsDirectory ? FsAccess.ReadDir : FsAccess.ReadFile;
        if ((flags & AccessModeMask) == 2) need |= FsAccess.ReadFile;
        if ((flags & Trunc) != 0 && writes && file.IsRegular) need |= FsAccess.Truncate & handled;
        return _grants.Refuses(file.HostPath, need) ? (file.HostPath, writes) : null;
    }

    private static readonly int NoFollow = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? 0x8000 : 0x20000;

    private SyscallDecision Make(SyscallEvent call, SupervisedSession session, int directoryFd, string? named, FsAccess need)
    {
        // An existing entry is the kernel's EEXIST.
        if (need == FsAccess.None || Find(call, directoryFd, named, followLast: false) is not { Exists: false } entry) return SyscallDecision.Allow;
        return Check(call, session, entry.HostParent, need, entry.HostPath, write: true);
    }

    private SyscallDecision Remove(SyscallEvent call, SupervisedSession session, int directoryFd, string? named, bool directory)
    {
        if (Find(call, directoryFd, named, followLast: false) is not { Exists: true } entry || entry.IsDirectory != directory) return SyscallDecision.Allow;
        return Check(call, session, entry.HostParent, directory ? FsAccess.RemoveDir : FsAccess.RemoveFile, entry.HostPath, write: true);
    }

    /// <summary>A rename takes the entry from one folder and makes it in another; a link only makes it.</summary>
    private SyscallDecision Move(SyscallEvent call, SupervisedSession session, int fromFd, string? from, int toFd, string? to, bool keepsSource,
        bool followSource = false)
    {
        if (Find(call, fromFd, from, followSource) is not { Exists: true } source || Find(call, toFd, to, followLast: false) is not { } target)
            return SyscallDecision.Allow;
        var make = source.IsDirectory ? FsAccess.MakeDir : FsAccess.MakeReg;
        if (!keepsSource)
        {
            var remove = source.IsDirectory ? FsAccess.RemoveDir : FsAccess.RemoveFile;
            if (_grants.Refuses(source.HostParent, remove)) return Record(call, session, source.HostPath, write: true);
        }
        return target.Exists && keepsSource ? SyscallDecision.Allow : Check(call, session, target.HostParent, make, target.HostPath, write: true);
    }

    private SyscallDecision Truncate(SyscallEvent call, SupervisedSession session, string? named)
    {
        if ((handled & FsAccess.Truncate) == 0 || Find(call, AtFdCwd, named, followLast: true) is not { Exists: true, IsRegular: true } file)
            return SyscallDecision.Allow;
        return Check(call, session, file.HostPath, FsAccess.Truncate, file.HostPath, write: true);
    }

    private static FsAccess NodeRight(ulong mode) => (mode & 0xF000) switch
    {
        0 or 0x8000 => FsAccess.MakeReg,
        0x1000 => FsAccess.MakeFifo,
        0xC000 => FsAccess.MakeSock,
        0x2000 => FsAccess.MakeChar,
        0x6000 => FsAccess.MakeBlock,
        _ => FsAccess.None,
    };

    private SyscallDecision Check(SyscallEvent call, SupervisedSession session, string checkedPath, FsAccess need, string named, bool write) =>
        _grants.Refuses(checkedPath, need) ? Record(call, session, named, write) : SyscallDecision.Allow;

    private SyscallDecision Record(SyscallEvent call, SupervisedSession session, string hostPath, bool write)
    {
        var seen = _recorded.GetValue(session, _ => []);
        bool first;
        lock (seen) first = seen.Count < MaxRecorded && seen.Add((hostPath, write));
        if (first)
            session.Deny(new Denial(call.Name, hostPath, call.Pid, write ? "write not granted (Landlock)" : "read not granted (Landlock)")
            {
                FilePath = hostPath,
                FileWrite = write,
            });
        return SyscallDecision.Allow;
    }
}
