namespace Sandlock.Supervision;

/// <summary>How the supervisor answers one held syscall.</summary>
internal readonly record struct SyscallDecision(SyscallDecision.Kind Action, long Value = 0, int Errno = 0)
{
    public enum Kind
    {
        /// <summary>Let the kernel run the syscall as the child asked (only where nothing depends on child memory).</summary>
        Continue,
        /// <summary>Fail the syscall with <see cref="Errno"/>.</summary>
        Fail,
        /// <summary>Return <see cref="Value"/> without running it: the supervisor did the work on the child's behalf.</summary>
        Return,
        /// <summary>Already answered by the handler (e.g. an fd installed with SECCOMP_ADDFD_FLAG_SEND).</summary>
        Answered,
    }

    public static SyscallDecision Allow => new(Kind.Continue);
    public static SyscallDecision Deny(int errno) => new(Kind.Fail, Errno: errno);
    public static SyscallDecision Result(long value) => new(Kind.Return, value);
    public static SyscallDecision Done => new(Kind.Answered);
}
