namespace Sandlock.Policy;

/// <summary>Device files every confined program may use (redirects to /dev/null and the like), granted by every policy.</summary>
internal static class StandardDevices
{
    public static IReadOnlyList<string> Paths { get; } = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"];
}
