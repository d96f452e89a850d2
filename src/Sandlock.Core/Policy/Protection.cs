namespace Sandlock;

/// <summary>A kernel protection that a policy can waive with <c>--allow-degraded</c> or <c>--disable</c>.</summary>
public enum Protection
{
    /// <summary>Landlock filesystem rules (ABI 1).</summary>
    LandlockFs,
    /// <summary>Landlock rename/link across directories (ABI 2).</summary>
    LandlockFsRefer,
    /// <summary>Landlock truncate control (ABI 3).</summary>
    LandlockFsTruncate,
    /// <summary>Landlock TCP bind/connect rules (ABI 4).</summary>
    LandlockNet,
    /// <summary>Landlock device ioctl control (ABI 5).</summary>
    LandlockFsIoctlDev,
    /// <summary>Landlock abstract unix socket scoping (ABI 6).</summary>
    LandlockScopeAbstractUnix,
    /// <summary>Landlock signal scoping (ABI 6).</summary>
    LandlockScopeSignal,
    /// <summary>The seccomp-bpf syscall deny list.</summary>
    Seccomp,
}

internal static class ProtectionNames
{
    private static readonly (Protection Protection, string Name)[] Names =
    [
        (Protection.LandlockFs, "landlock-fs"),
        (Protection.LandlockFsRefer, "landlock-fs-refer"),
        (Protection.LandlockFsTruncate, "landlock-fs-truncate"),
        (Protection.LandlockNet, "landlock-net"),
        (Protection.LandlockFsIoctlDev, "landlock-fs-ioctl-dev"),
        (Protection.LandlockScopeAbstractUnix, "landlock-scope-abstract-unix"),
        (Protection.LandlockScopeSignal, "landlock-scope-signal"),
        (Protection.Seccomp, "seccomp"),
    ];

    private static readonly string[] AllNames = Array.ConvertAll(Names, n => n.Name);

    public static ReadOnlySpan<string> All => AllNames;

    public static string Name(this Protection protection) => Names.First(n => n.Protection == protection).Name;

    public static Protection Parse(string name, string source)
    {
        foreach (var (protection, known) in Names)
            if (string.Equals(known, name, StringComparison.OrdinalIgnoreCase)) return protection;
        // "landlock" waives every Landlock part at once; callers expand it with ParseMany.
        throw new PolicyException(source,
            $"unknown protection '{name}': expected one of {string.Join(", ", All)}, landlock");
    }

    public static IEnumerable<Protection> ParseMany(string name, string source) =>
        string.Equals(name, "landlock", StringComparison.OrdinalIgnoreCase)
            ? Names.Select(n => n.Protection).Where(p => p != Protection.Seccomp)
            : [Parse(name, source)];
}
