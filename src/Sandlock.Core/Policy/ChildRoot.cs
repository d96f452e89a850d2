using System.Collections.Immutable;
using Sandlock.Policy.Files;

namespace Sandlock.Policy;

/// <summary>
/// The file tree a sandboxed command sees: the host's, or the chroot of its policy, with the policy's mounts laid
/// over it. The one place that maps the paths the child names to host files and back. Integrations whose defaults
/// name host paths (a project, an output folder, the temp folder) keep only those the child can see.
/// </summary>
internal sealed record ChildRoot(string? Chroot, ImmutableArray<FsMount> Mounts)
{
    public ChildRoot(string? chroot) : this(chroot, []) { }

    public static ChildRoot Host { get; } = new((string?)null);

    public static ChildRoot Of(SandboxPolicy policy) => new(policy.Chroot, policy.FsMounts);

    /// <summary>
    /// The tree of <paramref name="policy"/> with its chroot's symlinks resolved: the form host paths read from /proc
    /// (a process's cwd and fd links) compare with.
    /// </summary>
    public static ChildRoot Canonical(SandboxPolicy policy) =>
        new(policy.Chroot is { } chroot ? Interop.LibcPaths.RealPath(chroot) ?? chroot : null, policy.FsMounts);

    /// <summary>
    /// The tree that <paramref name="files"/>, applied in order, give; throws <see cref="PolicyException"/> naming the
    /// file and line of a chroot that is not a directory.
    /// </summary>
    public static ChildRoot Of(IEnumerable<PolicyFile> files)
    {
        var scratch = new SandboxPolicyBuilder();
        foreach (var file in files) file.ApplyTo(scratch);
        if (scratch.ChrootDirectory is { } chroot && !Directory.Exists(chroot)) scratch.Build();
        return new ChildRoot(scratch.ChrootDirectory, scratch.Mounts);
    }

    /// <summary>
    /// The host file behind a path the child sees: under a mount the file in its host folder, otherwise the chroot's
    /// file with the chroot's own symlinks resolved inside it.
    /// </summary>
    public string HostPathOf(string childPath)
    {
        if (MountOf(childPath) is ({ } mount, var rest)) return rest.Length == 0 ? mount.HostPath : mount.HostPath.TrimEnd('/') + "/" + rest;
        return Chroot is null ? childPath : ChrootPaths.ToHost(Chroot, childPath);
    }

    /// <summary>Whether the child sees something at <paramref name="childPath"/>.</summary>
    public bool Has(string childPath) => Path.Exists(HostPathOf(childPath));

    /// <summary>The path the child sees for a host path, or null when the child cannot see it.</summary>
    public string? Inside(string hostPath)
    {
        var mount = Mounts.IsDefaultOrEmpty ? null : Mounts.Where(m => m.Holds(hostPath)).MaxBy(m => m.HostPath.Length);
        if (mount is not null)
        {
            var rest = hostPath.Length == mount.HostPath.Length ? "" : hostPath[mount.HostPath.TrimEnd('/').Length..];
            return mount.VirtualPath + rest;
        }
        return Chroot is null ? hostPath : ChrootPaths.FromHost(Chroot, hostPath);
    }

    /// <summary>
    /// The mount a child path lies under (the deepest, when mounts nest) and the rest of the path below its mount
    /// point ("" for the mount point itself); "." and ".." are taken lexically.
    /// </summary>
    public (FsMount? Mount, string Below) MountOf(string childPath)
    {
        if (Mounts.IsDefaultOrEmpty || !childPath.StartsWith('/')) return (null, "");
        var normalized = ChrootPaths.Normalize(childPath);
        var mount = Mounts.Where(m => m.Covers(normalized)).MaxBy(m => m.VirtualPath.Length);
        return mount is null ? (null, "") : (mount, normalized[mount.VirtualPath.Length..].TrimStart('/'));
    }
}
