namespace Sandlock.Supervision;

/// <summary>
/// Answers the syscalls named by <see cref="Syscalls"/>. Runs on a supervisor thread and must be quick; work that
/// may block (a connect on the child's behalf) returns a task and is finished off the supervisor thread.
/// </summary>
internal abstract class SyscallHandler
{
    public abstract IReadOnlyCollection<string> Syscalls { get; }

    /// <summary>
    /// Those of <see cref="Syscalls"/> this handler wants only when their arguments match (the filter then lets the
    /// others run unheld, and the handler never sees them); any syscall not listed here is wanted always.
    /// </summary>
    public virtual IReadOnlyDictionary<string, Confinement.Seccomp.ArgumentMatch> WantedWhen { get; } =
        new Dictionary<string, Confinement.Seccomp.ArgumentMatch>();

    public abstract ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session);
}
