using Sandlock.Interop;
using Sandlock.Confinement.Seccomp;

namespace Sandlock.Supervision.Processes;

/// <summary>
/// Syscalls that act on another process named by its pid, tid or process group (resource limits, nice, scheduling,
/// CPU affinity, I/O priority, page placement, robust futex lists, pidfds): held when they name one, and let through
/// only when it is the sandbox's own. Anything else fails with ESRCH, as if it did not exist, which is what the /proc
/// view shows. A pidfd is the target of process_madvise and process_mrelease; refusing pidfd_open of an outsider is
/// what keeps them (and pidfd_send_signal) in the sandbox, since pidfd_getfd is denied and CLONE_PIDFD names a child.
/// </summary>
internal sealed class ProcessTargets : SyscallHandler
{
    private const uint PrioProcess = 0, PrioPgrp = 1, PrioUser = 2;
    private const uint IoprioWhoProcess = 1, IoprioWhoPgrp = 2, IoprioWhoUser = 3;

    // The target argument of each; 0 names the caller itself and needs no check.
    private static readonly Dictionary<string, int> PidArgument = new(StringComparer.Ordinal)
    {
        ["prlimit64"] = 0,
        ["sched_setaffinity"] = 0,
        ["sched_setscheduler"] = 0,
        ["sched_setparam"] = 0,
        ["sched_setattr"] = 0,
        ["migrate_pages"] = 0,
        ["move_pages"] = 0,
        ["pidfd_open"] = 0,
        ["get_robust_list"] = 0,
    };

    /// <summary>When each call names another process: the filter holds (or, without a supervisor, refuses) only those.</summary>
    public static IReadOnlyDictionary<string, ArgumentMatch> Targeting { get; } = TargetingOf();

    // A loop, not a Select over the pairs: LINQ over KeyValuePair<string, int> is JIT-compiled in every fresh process.
    private static Dictionary<string, ArgumentMatch> TargetingOf()
    {
        var targeting = new Dictionary<string, ArgumentMatch>(StringComparer.Ordinal);
        foreach (var pair in PidArgument) targeting[pair.Key] = ArgumentMatch.NonZero(pair.Value);
        targeting["setpriority"] = ArgumentMatch.All(ArgumentMatch.OneOf(0, PrioProcess, PrioPgrp), ArgumentMatch.AnySet(1, uint.MaxValue));
        targeting["ioprio_set"] = ArgumentMatch.All(ArgumentMatch.OneOf(0, IoprioWhoProcess, IoprioWhoPgrp), ArgumentMatch.AnySet(1, uint.MaxValue));
        return targeting;
    }

    /// <summary>
    /// A user's every process, the supervisor included, is no target a sandbox may name: refused in the filter itself.
    /// </summary>
    public static IReadOnlyList<RefusedCall> AlwaysRefused { get; } =
    [
        new("setpriority", ArgumentMatch.OneOf(0, PrioUser), Errno.EPERM),
        new("ioprio_set", ArgumentMatch.OneOf(0, IoprioWhoUser), Errno.EPERM),
    ];

    /// <summary>Without a supervisor to tell own threads from others, the filter refuses every call naming a target.</summary>
    public static IReadOnlyList<RefusedCall> WithoutSupervisor { get; } =
        [.. Targeting.Select(kv => new RefusedCall(kv.Key, kv.Value, Errno.EPERM))];

    public override IReadOnlyCollection<string> Syscalls { get; } = [.. Targeting.Keys];

    public override IReadOnlyDictionary<string, ArgumentMatch> WantedWhen => Targeting;

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var (isGroup, target) = call.Name switch
        {
            "setpriority" => ((uint)call.Args[0] == PrioPgrp, (int)call.Args[1]),
            "ioprio_set" => ((uint)call.Args[0] == IoprioWhoPgrp, (int)call.Args[1]),
            _ => (false, (int)call.Args[PidArgument[call.Name]]),
        };
        // No process has a negative id: the kernel's own lookup fails, as it would have.
        if (target <= 0) return ValueTask.FromResult(SyscallDecision.Allow);
        if (isGroup ? OwnsGroup(session, target) : session.IsMember(target))
            return ValueTask.FromResult(SyscallDecision.Allow);
        session.Deny(new Denial(call.Name, $"{(isGroup ? "process group" : "process")} {target}", call.Pid,
            "outside the sandbox: a sandbox acts only on its own processes"));
        return ValueTask.FromResult(SyscallDecision.Deny(Errno.ESRCH));
    }

    /// <summary>The group of a root of the sandbox (its first process, a clone of a fork template) or one its processes made.</summary>
    private static bool OwnsGroup(SupervisedSession session, int group) =>
        session.IsRoot(group) || session.State(() => new Lifetime.SandboxProcessGroups()).HasGroup(group);
}
