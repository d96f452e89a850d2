namespace Sandlock.Confinement.Seccomp;

public sealed partial class SyscallTable
{
    // STUB: replaced by the generated table.
    public static SyscallTable Arm64 { get; } = new("aarch64", 0xC00000B7, [new("ptrace", 117), new("mount", 40), new("unshare", 97), new("bpf", 280)]);
}
