using Sandlock.Policy;

namespace Sandlock.Testing.Policy;

/// <summary>
/// The root a sandboxed test's child sees: the host's, or the chroot of a policy file. The child is a .NET process
/// started by host paths, so under a chroot the runtime and the test output must be at the same paths inside it.
/// </summary>
public sealed record TestRoot(string? Chroot)
{
    public static TestRoot Host { get; } = new((string?)null);

    /// <summary>The host file behind a path the child sees, the chroot's own symlinks resolved inside it.</summary>
    public string HostPathOf(string path) => Chroot is null ? path : ChrootPaths.ToHost(Chroot, path);

    /// <summary>Whether the child sees something at <paramref name="path"/>.</summary>
    public bool Has(string path) => Path.Exists(HostPathOf(path));
}
