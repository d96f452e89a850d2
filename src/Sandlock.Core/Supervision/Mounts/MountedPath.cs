using Sandlock.Policy;

namespace Sandlock.Supervision.Mounts;

/// <summary>
/// Where a path a held caller names lands in the tree it sees: under a mount (<see cref="Mount"/> and the
/// <see cref="Rest"/> below its mount point), or elsewhere. <see cref="LeavesMount"/>: a path outside every mount
/// that passes through one on the way ("/data/..", or ".." from a mounted folder), which the kernel would walk in the
/// host folder's parent instead.
/// <see cref="StaysInMount"/>: a relative path from a base in the mount it lands in, which the kernel walks rightly
/// by itself (the base is the host folder). A trailing slash stays on <see cref="Rest"/>: it asks for a directory.
/// </summary>
internal sealed record MountedPath(string VirtualPath, FsMount? Mount, string Rest, bool LeavesMount, bool StaysInMount)
{
    /// <summary>
    /// Null when the base of a relative path (the caller's cwd or <paramref name="directoryFd"/>) cannot be read or
    /// lies outside what the caller sees; the kernel then resolves the path as it is. A relative path starts from
    /// <paramref name="recordedDirectory"/> when the supervisor recorded the caller's working directory (see
    /// <see cref="WorkingDirectories"/>), which the kernel's then differs from.
    /// </summary>
    public static MountedPath? Resolve(ChildRoot root, int pid, int directoryFd, string path, string? recordedDirectory = null)
    {
        var parts = new List<string>();
        FsMount? baseMount = null;
        var kernelBase = true;
        if (!path.StartsWith('/') && directoryFd == HeldOpen.AtFdCwd && recordedDirectory is not null)
        {
            parts.AddRange(recordedDirectory.Split('/', StringSplitOptions.RemoveEmptyEntries));
            baseMount = root.MountOf(recordedDirectory).Mount;
            kernelBase = false;
        }
        else if (!path.StartsWith('/'))
        {
            if (ChildPaths.HostDirectory(pid, directoryFd) is not { } baseHost || root.Inside(baseHost) is not { } baseVirtual) return null;
            parts.AddRange(baseVirtual.Split('/', StringSplitOptions.RemoveEmptyEntries));
            baseMount = root.MountOf(baseVirtual).Mount;
        }
        // Walked lexically, as the caller means it; the kernel's walk differs once it has passed through a mount
        // point (it walks the host folder's parent on "..") or left the mount its base lies in.
        bool passedMount = baseMount is not null, leftBase = false;
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part != "..") parts.Add(part);
            else if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
            else continue;
            var here = root.MountOf("/" + string.Join('/', parts)).Mount;
            passedMount |= here is not null;
            leftBase |= here != baseMount;
        }
        var virtualPath = "/" + string.Join('/', parts);
        var (mount, rest) = root.MountOf(virtualPath);
        if (rest.Length > 0 && (path.EndsWith('/') || path.EndsWith("/.", StringComparison.Ordinal))) rest += "/";
        return new MountedPath(virtualPath, mount, rest, mount is null && passedMount, kernelBase && baseMount is not null && !leftBase);
    }
}
