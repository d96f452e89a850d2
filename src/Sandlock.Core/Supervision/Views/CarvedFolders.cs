using Sandlock.Confinement.Seccomp;
using Sandlock.Interop;

namespace Sandlock.Supervision.Views;

/// <summary>
/// Lists the folders carving took a read rule from. Landlock can only allow, so a denied path (or the /proc view)
/// inside a granted tree leaves the tree and the denied path's ancestors without a rule of their own: their entries
/// stay readable, but the folders themselves could not be listed, though the user granted it (`-r /` and then
/// `ls /` failed). The same for the folders a policy makes list-only (those above a whole test host's tests). A
/// read-only open of exactly such a folder is done by the supervisor and the fd handed over: listing it shows names
/// only, and whatever the child then opens through it is still checked by Landlock.
/// </summary>
internal sealed class CarvedFolders(IReadOnlyCollection<string> folders) : SyscallHandler
{
    private readonly HashSet<string> _folders = [.. folders];

    public override IReadOnlyCollection<string> Syscalls => HeldOpen.Syscalls;

    /// <summary>By path only, as the /proc view: an open relative to a directory fd meets Landlock's refusal.</summary>
    public override IReadOnlyDictionary<string, ArgumentMatch> WantedWhen { get; } = new Dictionary<string, ArgumentMatch>
    {
        ["openat"] = ArgumentMatch.OneOf(0, unchecked((uint)HeldOpen.AtFdCwd)),
    };

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session) =>
        ValueTask.FromResult(Handle(call, session));

    private SyscallDecision Handle(SyscallEvent call, SupervisedSession session)
    {
        if (HeldOpen.Read(session, call) is not { } open) return SyscallDecision.Deny(Errno.EFAULT);
        if (open.Writes || open.Absolute(call.Pid) is not { } absolute) return SyscallDecision.Allow;
        var path = Policy.ChrootPaths.Normalize(absolute);
        if (!_folders.Contains(path)) return SyscallDecision.Allow;
        // Only as a folder and without following a symlink swapped in since planning: never a file, never elsewhere.
        var fd = ResolvingOpen.OpenAt2(HeldOpen.AtFdCwd, path, open.Flags | (uint)Libc.O_DIRECTORY | Libc.O_CLOEXEC,
            ResolvingOpen.ResolveNoSymlinks | ResolvingOpen.ResolveNoMagicLinks);
        return OpenedOnBehalf.Send(call, session, fd, open);
    }
}
