using Sandlock.Policy;

namespace Sandlock.Confinement.Seccomp;

/// <summary>Builds the seccomp-bpf program a policy asks for.</summary>
public static class SeccompProgram
{
    // STUB: replaced by the real deny-list compiler.
    public static SockFilter[] Build(SandboxPolicy policy, SyscallTable table)
    {
        _ = policy;
        const ushort LdW = 0x20, JeqK = 0x15, RetK = 0x06;
        var list = new List<SockFilter> { new(LdW, 0, 0, 0) };
        foreach (var name in new[] { "ptrace", "mount", "unshare", "bpf" })
        {
            list.Add(new(JeqK, 0, 1, (uint)table[name]));
            list.Add(new(RetK, 0, 0, 0x00050000u | 1));
        }
        list.Add(new(RetK, 0, 0, 0x7fff0000u));
        return [.. list];
    }
}
