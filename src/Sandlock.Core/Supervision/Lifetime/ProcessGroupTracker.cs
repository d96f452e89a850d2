using Sandlock.Interop;

namespace Sandlock.Supervision.Lifetime;

/// <summary>
/// Holds setsid and setpgid so that no process of the sandbox can slip out of reach: each group or session one
/// makes is recorded before the kernel makes it (<see cref="SandboxProcessGroups"/>), and joining a group the
/// sandbox did not make is refused, since it would be a host process's group that the end of the sandbox must not kill.
/// </summary>
internal sealed class ProcessGroupTracker : SyscallHandler
{

    public override IReadOnlyCollection<string> Syscalls { get; } = ["setsid", "setpgid"];

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var groups = session.State(() => new SandboxProcessGroups());
        if (ProcessStatus.Read(call.Pid) is not { } caller) return ValueTask.FromResult(SyscallDecision.Deny(Errno.EPERM));
        if (call.Name == "setsid")
        {
            groups.AddSession(caller.ThreadGroup);
            return ValueTask.FromResult(SyscallDecision.Allow);
        }
        // setpgid(pid, pgid): 0 means the caller, resp. a group named after the target; negatives are the kernel's EINVAL.
        if ((int)call.Args[0] < 0 || (int)call.Args[1] < 0) return ValueTask.FromResult(SyscallDecision.Allow);
        var target = (int)call.Args[0] == 0 ? caller.ThreadGroup : (int)call.Args[0];
        var group = (int)call.Args[1] == 0 ? target : (int)call.Args[1];
        if (group == target) groups.AddGroup(group);
        else if (!session.IsRoot(group) && !groups.HasGroup(group))
        {
            session.Deny(new Denial("setpgid", $"process group {group}", call.Pid, "a process group the sandbox did not make"));
            return ValueTask.FromResult(SyscallDecision.Deny(Errno.EPERM));
        }
        return ValueTask.FromResult(SyscallDecision.Allow);
    }
}
