using Sandlock.Interop;

namespace Sandlock.Supervision.Determinism;

/// <summary>
/// <c>random_seed</c> for getrandom: the supervisor fills the caller's buffer from the sandbox's seeded stream, so
/// libc, Python, OpenSSL and the .NET runtime (Random, Guid, string hash seeds) draw the same numbers on every run.
/// </summary>
internal sealed class SeededGetrandom(SeededBytes stream) : SyscallHandler, IRestartable
{
    // getrandom may return fewer bytes than asked for large requests; callers loop.
    private const int MaxPerCall = 1 << 20;

    public override IReadOnlyCollection<string> Syscalls { get; } = ["getrandom"];

    public void Restart(ulong seed, SupervisedSession session) => stream.Reseed(seed);

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var count = (int)Math.Min(call.Args[1], MaxPerCall);
        if (count == 0) return ValueTask.FromResult(SyscallDecision.Result(0));
        var bytes = stream.Take(count);
        return ValueTask.FromResult(ChildAccess.Write(session, call, call.Args[0], bytes)
            ? SyscallDecision.Result(count)
            : SyscallDecision.Deny(Errno.EFAULT));
    }
}
