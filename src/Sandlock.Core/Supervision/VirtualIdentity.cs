using Sandlock.Interop;

namespace Sandlock.Supervision;

/// <summary>
/// <c>--uid N</c> (and <c>gid</c>): the user and group ids the command sees. getuid/geteuid (getgid/getegid) are
/// answered by the supervisor, and getresuid/getresgid fill in the same id. Only the view changes: files and
/// signals are still checked against the real identity, which no unprivileged process can change.
/// </summary>
internal sealed class VirtualIdentity(int? uid, int? gid) : SyscallHandler
{

    public override IReadOnlyCollection<string> Syscalls { get; } =
        [.. (uid is null ? [] : new[] { "getuid", "geteuid", "getresuid" }), .. (gid is null ? [] : new[] { "getgid", "getegid", "getresgid" })];

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var id = call.Name.Contains("uid", StringComparison.Ordinal) ? uid!.Value : gid!.Value;
        if (!call.Name.StartsWith("getres", StringComparison.Ordinal)) return ValueTask.FromResult(SyscallDecision.Result(id));
        // getresuid(ruid*, euid*, suid*): three ints in the caller's memory.
        var bytes = BitConverter.GetBytes(id);
        for (var i = 0; i < 3; i++)
            if (call.Args[i] != 0 && !ChildAccess.Write(session, call, call.Args[i], bytes))
                return ValueTask.FromResult(SyscallDecision.Deny(Errno.EFAULT));
        return ValueTask.FromResult(SyscallDecision.Result(0));
    }
}
