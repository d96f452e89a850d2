namespace Sandlock.Policy;

/// <summary>
/// Paths under a chroot: what a policy names is a path inside it (virtual), and Landlock, which the parent sets up
/// before the chroot happens, needs the host file behind it.
/// </summary>
internal static class ChrootPaths
{
    private const int MaxSymlinks = 40;

    /// <summary>The absolute virtual path of <paramref name="path"/> seen from <paramref name="virtualCwd"/>, or null when ".." climbs above the root.</summary>
    public static string? Virtual(string path, string virtualCwd)
    {
        var parts = path.StartsWith('/') ? [] : Components(virtualCwd).ToList();
        foreach (var part in Components(path))
        {
            if (part != "..") { parts.Add(part); continue; }
            if (parts.Count == 0) return null;
            parts.RemoveAt(parts.Count - 1);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>
    /// An absolute path with "." and ".." taken out lexically, as the kernel walks them from a root ("/.." is "/");
    /// symlinks are the kernel's business, under Landlock.
    /// </summary>
    public static string Normalize(string absolutePath)
    {
        // Nearly every path a held open names is normal already: it is returned as it is, without a list and a join.
        if (IsNormal(absolutePath)) return absolutePath;
        var parts = new List<string>();
        foreach (var part in Components(absolutePath))
        {
            if (part != "..") parts.Add(part);
            else if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>Absolute, and no component of it empty, "." or "..".</summary>
    private static bool IsNormal(string path) =>
        path.StartsWith('/')
        && (path.Length == 1 || !path.EndsWith('/'))
        && !path.Contains("//", StringComparison.Ordinal)
        && !path.Contains("/./", StringComparison.Ordinal)
        && !path.Contains("/../", StringComparison.Ordinal)
        && !path.EndsWith("/.", StringComparison.Ordinal)
        && !path.EndsWith("/..", StringComparison.Ordinal);

    /// <summary>The virtual path of a host path under <paramref name="root"/>, lexically; null when it lies outside.</summary>
    public static string? FromHost(string root, string hostPath)
    {
        root = root.TrimEnd('/');
        if (root.Length == 0) return hostPath;
        if (hostPath == root) return "/";
        return hostPath.StartsWith(root + "/", StringComparison.Ordinal) ? hostPath[root.Length..] : null;
    }

    /// <summary>
    /// The host path of a virtual one, with the chroot's symlinks resolved against its root as the command's own
    /// lookups would be (an absolute link such as /lib64 -> /usr/lib64 stays inside).
    /// </summary>
    public static string ToHost(string root, string virtualPath)
    {
        var resolved = new List<string>();
        var pending = new Stack<string>(Components(virtualPath).Reverse());
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == "..")
            {
                if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            var target = links < MaxSymlinks ? LinkTarget(Join(root, resolved) + "/" + part) : null;
            if (target is null)
            {
                resolved.Add(part);
                continue;
            }
            links++;
            if (target.StartsWith('/')) resolved.Clear();
            foreach (var t in Components(target).Reverse()) pending.Push(t);
        }
        return Join(root, resolved);
    }

    private static string? LinkTarget(string hostPath)
    {
        try { return new FileInfo(hostPath).LinkTarget; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static string Join(string root, List<string> parts)
    {
        var trimmed = root.TrimEnd('/');
        return parts.Count == 0 ? (trimmed.Length == 0 ? "/" : trimmed) : trimmed + "/" + string.Join('/', parts);
    }

    private static IEnumerable<string> Components(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");
}
