using Sandlock.Policy.Files;

namespace Sandlock.Policy;

/// <summary>
/// The root a sandboxed command sees: the host's, or the chroot of its policy. Integrations whose defaults name host
/// paths (a project, an output folder, the temp folder) keep under a chroot only those that exist inside it.
/// </summary>
public sealed record ChildRoot(string? Chroot)
{
    public static ChildRoot Host { get; } = new((string?)null);

    /// <summary>
    /// The root that <paramref name="files"/>, applied in order, give; throws <see cref="PolicyException"/> naming the
    /// file and line of a chroot that is not a directory.
    /// </summary>
    public static ChildRoot Of(IEnumerable<PolicyFile> files)
    {
        var scratch = new SandboxPolicyBuilder();
        foreach (var file in files) file.ApplyTo(scratch);
        if (scratch.ChrootDirectory is not { } chroot) return Host;
        if (!Directory.Exists(chroot)) scratch.Build();
        return new ChildRoot(chroot);
    }

    /// <summary>The host file behind a path the child sees, the chroot's own symlinks resolved inside it.</summary>
    public string HostPathOf(string childPath) => Chroot is null ? childPath : ChrootPaths.ToHost(Chroot, childPath);

    /// <summary>Whether the child sees something at <paramref name="childPath"/>.</summary>
    public bool Has(string childPath) => Path.Exists(HostPathOf(childPath));

    /// <summary>The path the child sees for a host path, or null when the host path lies outside the chroot.</summary>
    public string? Inside(string hostPath) => Chroot is null ? hostPath : ChrootPaths.FromHost(Chroot, hostPath);
}
