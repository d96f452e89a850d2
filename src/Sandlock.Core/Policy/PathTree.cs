namespace Sandlock.Policy;

/// <summary>
/// The one "is this path the same as or under that one" every enforcer asks (Landlock carving, the /proc view,
/// mounts, unix socket grants, the live policy): by whole components, so /etc/sshd is not under /etc/ssh.
/// Both paths absolute and normalized; the caller resolves symlinks where it matters.
/// </summary>
internal static class PathTree
{
    public static bool IsSameOrUnder(string path, string ancestor)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(ancestor);
        var trimmed = ancestor.Length > 1 ? ancestor.TrimEnd('/') : ancestor;
        return path == trimmed || trimmed == "/" || path.StartsWith(trimmed + "/", StringComparison.Ordinal);
    }
}
