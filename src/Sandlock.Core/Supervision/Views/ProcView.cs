using Sandlock.Confinement;
using Sandlock.Confinement.Landlock;
using Sandlock.Confinement.Seccomp;
using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Supervision.Views;

/// <summary>
/// /proc shows only the sandbox's own processes. Landlock keeps /proc out of the child's own reach, so whatever the
/// kernel opens for it there fails; opens by path are held and the supervisor opens what the child may see on its
/// behalf, beneath /proc and without following magic links, and hands over the fd. Listing /proc yields a stand-in
/// folder with the sandbox's process ids only. Magic links of the sandbox's own processes (fd/N, cwd, exe, root, ns)
/// are left to the kernel, which then checks the file they lead to against the child's Landlock rules.
/// </summary>
internal sealed class ProcView : SyscallHandler
{
    private const string Proc = "/proc";
    private static readonly HashSet<string> LinksToAnyFile = ["cwd", "root", "exe"];
    private static readonly HashSet<string> FoldersOfLinks = ["fd", "map_files", "ns"];
    // Stable for the life of the process: opens on the child's behalf resolve beneath it.
    private static readonly Lazy<int> ProcRoot = new(() => Libc.Open(Proc, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC));

    private readonly bool _writable;
    private readonly string[] _denied;

    private ProcView(bool writable, string[] denied)
    {
        _writable = writable;
        _denied = denied;
    }

    public override IReadOnlyCollection<string> Syscalls => HeldOpen.Syscalls;

    /// <summary>
    /// openat only by path (AT_FDCWD): opens relative to a directory fd (find, fts walks) run unheld, and one that
    /// would land in /proc meets Landlock's refusal instead of the view.
    /// </summary>
    public override IReadOnlyDictionary<string, ArgumentMatch> WantedWhen { get; } = new Dictionary<string, ArgumentMatch>
    {
        ["openat"] = ArgumentMatch.OneOf(0, unchecked((uint)HeldOpen.AtFdCwd)),
    };

    /// <summary>
    /// The view applies when the policy confines the filesystem yet lets the sandbox read all of /proc, and the
    /// supervisor can run: the sandbox then sees /proc through it.
    /// </summary>
    public static bool AppliesTo(SandboxPolicy policy, KernelFeatures kernel)
    {
        if (!policy.ConfinesFilesystem || policy.NoSupervisor || !kernel.SeccompUserNotification) return false;
        // A chroot has no procfs of ours to stand in for.
        if (policy.Chroot is not null) return false;
        if (policy.Disabled.Contains(Protection.LandlockFs) || kernel.LandlockAbi < 1) return false;
        IEnumerable<string> readTrees = policy.FsReadable.IsEmpty ? ["/"] : policy.FsReadable.Concat(policy.FsWritable);
        return readTrees.Any(tree => Sandlock.Policy.PathTree.IsSameOrUnder(Proc, tree))
            && !policy.FsDenied.Any(denied => Sandlock.Policy.PathTree.IsSameOrUnder(Proc, denied));
    }

    public static ProcView For(SandboxPolicy policy)
    {
        IEnumerable<string> writeTrees = policy.FsReadable.IsEmpty && policy.FsWritable.IsEmpty ? ["/"] : policy.FsWritable;
        return new ProcView(writeTrees.Any(tree => Sandlock.Policy.PathTree.IsSameOrUnder(Proc, tree)), [.. policy.FsDenied]);
    }

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session) =>
        ValueTask.FromResult(Handle(call, session));

    private SyscallDecision Handle(SyscallEvent call, SupervisedSession session)
    {
        if (HeldOpen.Read(session, call) is not { } open) return SyscallDecision.Deny(Errno.EFAULT);
        var listing = session.State(() => new ProcListing());
        // An unreadable base leaves the open to the kernel, where Landlock refuses anything under /proc.
        if (open.Absolute(call.Pid) is not { } absolute) return SyscallDecision.Allow;
        var path = Policy.ChrootPaths.Normalize(absolute);
        if (listing.Root is { } standIn && Sandlock.Policy.PathTree.IsSameOrUnder(path, standIn)) path = Proc + path[standIn.Length..];
        if (!Sandlock.Policy.PathTree.IsSameOrUnder(path, Proc)) return SyscallDecision.Allow;

        if (_denied.Any(denied => Sandlock.Policy.PathTree.IsSameOrUnder(path, denied))) return Refuse(call, session, path, Errno.EACCES, "denied path");
        if (path == Proc)
        {
            // A dying process of an ended sandbox gets no listing: it would be a folder made after the cleanup.
            if (session.Ended) return SyscallDecision.Deny(Errno.ESRCH);
            return OpenedOnBehalf.Send(call, session, Libc.Open(listing.Refresh(session.Members), OpenFlags(open)), open);
        }

        var parts = path[(Proc.Length + 1)..].Split('/');
        if (Rewrite(parts, call.Pid, session) is not { } inside)
            return Refuse(call, session, path, Errno.ENOENT, "/proc view: not a process of this sandbox");
        if (open.Writes && !_writable && !NamesAThread(inside)) return Refuse(call, session, path, Errno.EACCES, "/proc is not writable");
        if (LeadsThroughMagicLink(inside)) return SyscallDecision.Allow;
        var fd = ResolvingOpen.OpenAt2(ProcRoot.Value, string.Join('/', inside), (ulong)OpenFlags(open),
            ResolvingOpen.ResolveBeneath | ResolvingOpen.ResolveNoMagicLinks);
        return OpenedOnBehalf.Send(call, session, fd, open);
    }

    /// <summary>The path under /proc with self, thread-self and the links through self spelled out; null for another sandbox's process.</summary>
    private static string[]? Rewrite(string[] parts, int caller, SupervisedSession session)
    {
        var first = parts[0];
        if (first is "self" or "thread-self" or "mounts" or "net")
        {
            if (session.ProcessOf(caller) is not { } process) return null;
            var id = process.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string[] head = first switch
            {
                "self" => [id],
                "thread-self" => [id, "task", caller.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                _ => [id, first],
            };
            return [.. head, .. parts[1..]];
        }
        return !int.TryParse(first, out var pid) || session.IsMember(pid) ? parts : null;
    }

    /// <summary>
    /// PID/comm or PID/task/TID/comm of the sandbox's own processes: naming a thread is what prctl(PR_SET_NAME) does
    /// too, and pthread_setname_np (the .NET runtime's thread names) writes these.
    /// </summary>
    private static bool NamesAThread(string[] parts) =>
        (parts.Length == 2 || (parts.Length == 4 && parts[1] == "task")) && parts[^1] == "comm";

    private static bool LeadsThroughMagicLink(string[] parts)
    {
        var at = parts.Length >= 4 && parts[1] == "task" ? 3 : 1;
        if (parts.Length <= at) return false;
        return LinksToAnyFile.Contains(parts[at]) || (FoldersOfLinks.Contains(parts[at]) && parts.Length > at + 1);
    }

    private static int OpenFlags(HeldOpen open) => (int)open.Flags | Libc.O_CLOEXEC;

    private static SyscallDecision Refuse(SyscallEvent call, SupervisedSession session, string path, int errno, string rule)
    {
        session.Deny(new Denial(call.Name, path, call.Pid, rule));
        return SyscallDecision.Deny(errno);
    }
}
