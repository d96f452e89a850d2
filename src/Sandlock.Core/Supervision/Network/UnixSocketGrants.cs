using Sandlock.Confinement.Landlock;
using Sandlock.Policy;

namespace Sandlock.Supervision.Network;

/// <summary>
/// Where a sandbox may connect or send to a unix socket by path: as the kernel's own check on the socket file is a
/// write, under the folders (and files) the policy lets it write, never under an <c>--fs-deny</c> path. Taken from
/// the same Landlock rules the filesystem gets (<c>planned</c>, those the ruleset was built from, or planned again the
/// same way), with every symlink resolved, as host paths.
/// </summary>
internal sealed class UnixSocketGrants(SandboxPolicy policy, IReadOnlyList<FsRule>? planned = null)
{
    private readonly Lazy<(string[] Writable, string[] Denied)> _trees = new(() => Plan(policy, planned));

    private static (string[] Writable, string[] Denied) Plan(SandboxPolicy policy, IReadOnlyList<FsRule>? planned)
    {
        var view = ChildRoot.Canonical(policy);
        // Planning again walks and stats every rule path: a test child's first connect (to its test host) paid it each time.
        var writable = (planned ?? FsRulePlanner.Plan(policy)).Where(r => r.Access.HasFlag(FsAccess.WriteFile)).Select(r => Canonical(r.Path));
        var denied = policy.FsDenied.Select(view.HostPathOf).Select(Canonical);
        return ([.. writable.Distinct()], [.. denied.Distinct()]);
    }

    private static string Canonical(string path) => Interop.LibcPaths.RealPath(path) ?? path;

    /// <summary>Whether the socket file at <paramref name="hostPath"/> (resolved) may be reached; else why not.</summary>
    public bool Allows(string hostPath, out string reason)
    {
        var (writable, denied) = _trees.Value;
        if (denied.FirstOrDefault(d => Policy.PathTree.IsSameOrUnder(hostPath, d)) is { } deny)
        {
            reason = $"under --fs-deny {deny}";
            return false;
        }
        if (writable.Any(w => Policy.PathTree.IsSameOrUnder(hostPath, w)))
        {
            reason = "";
            return true;
        }
        reason = $"reaching a unix socket is a write: allowed only under a write path (-w {Path.GetDirectoryName(hostPath)})";
        return false;
    }
}
