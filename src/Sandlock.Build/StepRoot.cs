using Sandlock.Policy;

namespace Sandlock.Build;

/// <summary>
/// The root a build step sees: the host's, or the chroot of its policy file. The defaults name host paths; under a
/// chroot only those inside its directory reach the step, under the path the step sees them at.
/// </summary>
internal sealed record StepRoot(string? Chroot)
{
    public static StepRoot Host { get; } = new((string?)null);

    /// <summary>The path the step sees for a host path, or null when the host path lies outside the chroot.</summary>
    public string? Inside(string hostPath)
    {
        var root = Chroot?.TrimEnd('/');
        if (string.IsNullOrEmpty(root)) return hostPath;
        if (hostPath == root) return "/";
        return hostPath.StartsWith(root + "/", StringComparison.Ordinal) ? hostPath[root.Length..] : null;
    }

    /// <summary>The host file behind a path the step sees, the chroot's own symlinks resolved inside it.</summary>
    public string HostPathOf(string insidePath) => Chroot is null ? insidePath : ChrootPaths.ToHost(Chroot, insidePath);

    public bool Exists(string insidePath) => Path.Exists(HostPathOf(insidePath));
}
