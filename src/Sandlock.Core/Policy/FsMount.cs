using Sandlock.Policy;

namespace Sandlock;

/// <summary>
/// A host directory shown at another path inside the sandbox (<c>VIRTUAL:HOST[:ro]</c>). The supervisor serves
/// paths under <see cref="VirtualPath"/> from <see cref="HostPath"/> (see <c>Supervision.Mounts</c>); no mount
/// namespace is involved.
/// </summary>
public sealed record FsMount(string VirtualPath, string HostPath, bool ReadOnly)
{
    /// <summary>
    /// Parses the spec; <paramref name="hostPath"/> turns the HOST part into a full path (relative to a policy file's
    /// folder, say). Throws <see cref="PolicyException"/> naming <paramref name="source"/>.
    /// </summary>
    public static FsMount Parse(string spec, string source, Func<string, string> hostPath)
    {
        var parts = spec.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || parts[1].Length == 0 || (parts.Length == 3 && parts[2] != "ro"))
            throw new PolicyException(source, $"invalid mount '{spec}': expected VIRTUAL:HOST or VIRTUAL:HOST:ro");
        if (!parts[0].StartsWith('/'))
            throw new PolicyException(source, $"invalid mount '{spec}': the mount point '{parts[0]}' must be an absolute path inside the sandbox");
        var mountPoint = ChrootPaths.Virtual(parts[0], "/");
        if (mountPoint is null or "/")
            throw new PolicyException(source, $"invalid mount '{spec}': the mount point must name a folder below the root");
        var host = hostPath(parts[1]);
        if (!Directory.Exists(host))
            throw new PolicyException(source, File.Exists(host)
                ? $"invalid mount '{spec}': {host} is not a directory: expected a host directory to show at {mountPoint}"
                : $"invalid mount '{spec}': directory does not exist: {host}");
        // Compared with the links /proc shows for the child's cwd and fds, which are canonical.
        return new FsMount(mountPoint, Interop.LibcPaths.RealPath(host) ?? host, parts.Length == 3);
    }

    /// <summary>Whether <paramref name="virtualPath"/> (absolute, normalized) is the mount point or lies under it.</summary>
    public bool Covers(string virtualPath) =>
        PathTree.IsSameOrUnder(virtualPath, VirtualPath);

    /// <summary>Whether <paramref name="hostPath"/> (canonical) is the host directory or lies under it.</summary>
    public bool Holds(string hostPath) =>
        PathTree.IsSameOrUnder(hostPath, HostPath);

    public override string ToString() => $"{VirtualPath}:{HostPath}{(ReadOnly ? ":ro" : "")}";
}

public enum FsIsolation { None, OverlayFs, BranchFs }

public enum BranchAction { Commit, Abort, Keep }
