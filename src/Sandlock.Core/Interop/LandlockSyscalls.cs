using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>
/// Landlock system calls. The structs are declared here because the machine's kernel headers can be older than
/// the kernel (no network or scope fields).
/// </summary>
internal static unsafe class LandlockSyscalls
{
    // Same numbers on x86_64 and aarch64 (unified numbering since Linux 5.1).
    private const long SysCreateRuleset = 444, SysAddRule = 445;
    private const uint CreateRulesetVersion = 1;
    public const int RulePathBeneath = 1, RuleNetPort = 2;

    [StructLayout(LayoutKind.Sequential)]
    public struct RulesetAttr
    {
        public ulong HandledAccessFs;
        public ulong HandledAccessNet;
        public ulong Scoped;
    }

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct PathBeneathAttr
    {
        public ulong AllowedAccess;
        public int ParentFd;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct NetPortAttr
    {
        public ulong AllowedAccess;
        public ulong Port;
    }

    /// <summary>The kernel's Landlock ABI version, or 0 when Landlock is missing or disabled.</summary>
    public static int AbiVersion()
    {
        var v = Libc.Syscall(SysCreateRuleset, 0, 0, CreateRulesetVersion);
        return v < 0 ? 0 : (int)v;
    }

    /// <summary>Creates a ruleset; the attr size tells the kernel which fields this ABI knows.</summary>
    public static int CreateRuleset(in RulesetAttr attr, int abi)
    {
        var size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
        fixed (RulesetAttr* p = &attr)
            return (int)Libc.Syscall(SysCreateRuleset, (long)p, size, 0);
    }

    public static int AddPathRule(int ruleset, ulong access, int parentFd)
    {
        var attr = new PathBeneathAttr { AllowedAccess = access, ParentFd = parentFd };
        return (int)Libc.Syscall(SysAddRule, ruleset, RulePathBeneath, (long)&attr, 0);
    }

    public static int AddPortRule(int ruleset, ulong access, ushort port)
    {
        var attr = new NetPortAttr { AllowedAccess = access, Port = port };
        return (int)Libc.Syscall(SysAddRule, ruleset, RuleNetPort, (long)&attr, 0);
    }
}
