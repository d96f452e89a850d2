using System.Text;
using Sandlock.Interop;

namespace Sandlock.Supervision;

/// <summary>
/// The sandbox's name as its hostname: uname is answered by the supervisor with the real struct utsname whose
/// nodename field is replaced, written into the caller's buffer.
/// </summary>
internal sealed class VirtualHostname(string name) : SyscallHandler
{
    private const int FieldLength = 65;
    private const int NodenameOffset = FieldLength;

    public override IReadOnlyCollection<string> Syscalls { get; } = ["uname"];

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var uts = SystemInfo.Uname();
        var field = uts.AsSpan(NodenameOffset, FieldLength);
        field.Clear();
        var bytes = Encoding.UTF8.GetBytes(name);
        bytes.AsSpan(0, Math.Min(bytes.Length, FieldLength - 1)).CopyTo(field);
        return ValueTask.FromResult(ChildAccess.Write(session, call, call.Args[0], uts)
            ? SyscallDecision.Result(0)
            : SyscallDecision.Deny(Errno.EFAULT));
    }
}
