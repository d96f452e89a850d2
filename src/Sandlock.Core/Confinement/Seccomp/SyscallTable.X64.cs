namespace Sandlock.Confinement.Seccomp;

public sealed partial class SyscallTable
{
    // STUB: replaced by the generated table.
    public static SyscallTable X64 { get; } = new("x86_64", 0xC000003E, [new("ptrace", 101), new("mount", 165), new("unshare", 272), new("bpf", 321)]);
}
