namespace Sandlock.Build;

/// <summary>What a build step may touch when no policy file or parameter says otherwise (docs/msbuild.md).</summary>
internal static class DefaultPolicy
{
    /// <summary>The system: programs, libraries, configuration, and /proc and /sys that runtimes read.</summary>
    public static IReadOnlyList<string> SystemReadPaths { get; } =
        ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/proc", "/sys"];

    /// <summary>Credentials under the system folders, unreadable even to a build running as root.</summary>
    public static IReadOnlyList<string> SystemDenyPaths { get; } =
        ["/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/ssh", "/etc/sudoers", "/etc/sudoers.d"];

    public const string Source = "Sandlock default policy";
}
