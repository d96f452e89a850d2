using Sandlock.Interop;
using Sandlock.Confinement.Seccomp;

namespace Sandlock.Tests.Seccomp;

/// <summary>What a seccomp program returns, the architectures the filter tests run on, and running a program on a call.</summary>
internal static class FilterActions
{
    public const uint Allow = 0x7fff0000;
    public const uint Notify = 0x7fc00000;
    public const uint Kill = 0x80000000;
    public const uint Eperm = 0x00050000 | 1;
    public const uint Eacces = 0x00050000 | 13;
    public const uint Enosys = 0x00050000 | 38;
    public const uint Eprotonosupport = 0x00050000 | 93;
    public const uint Eafnosupport = 0x00050000 | 97;

    public static TheoryData<string> Arches => ["x86_64", "aarch64"];

    public static SyscallTable Table(string arch) => arch == "x86_64" ? SyscallTable.X64 : SyscallTable.Arm64;

    /// <summary>What <paramref name="program"/> answers for the named syscall with these arguments.</summary>
    public static uint Run(SockFilter[] program, SyscallTable table, string name, params ulong[] args) =>
        BpfInterpreter.Run(program, table[name], table.AuditArch, args);
}
