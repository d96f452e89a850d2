namespace Sandlock.Supervision;

/// <summary>
/// Answers the syscalls named by <see cref="Syscalls"/>. Runs on a supervisor thread and must be quick; work that
/// may block (a connect on the child's behalf) returns a task and is finished off the supervisor thread.
/// </summary>
public abstract class SyscallHandler
{
    public abstract IReadOnlyCollection<string> Syscalls { get; }

    public abstract ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session);
}
