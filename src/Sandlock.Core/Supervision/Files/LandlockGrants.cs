using Sandlock.Confinement.Landlock;
using Sandlock.Policy;

namespace Sandlock.Supervision.Files;

/// <summary>
/// What the policy's Landlock ruleset lets the sandbox do to a file, answered the way the kernel will: a right it
/// handles is allowed only under a rule granting it. Taken from the same plan the ruleset is built from, with every
/// rule path resolved, as host paths.
/// </summary>
internal sealed class LandlockGrants(SandboxPolicy policy, FsAccess handled, bool withoutProc)
{
    private readonly Lazy<FsRule[]> _rules = new(() =>
        [.. FsRulePlanner.Plan(policy, withoutProc).Select(r => r with { Path = Interop.LibcPaths.RealPath(r.Path) ?? r.Path })]);

    /// <summary>Whether Landlock refuses <paramref name="need"/> on the file at <paramref name="hostPath"/> (resolved).</summary>
    public bool Refuses(string hostPath, FsAccess need) =>
        (handled & need) == need && !_rules.Value.Any(r => (r.Access & need) == need && PathTree.IsSameOrUnder(hostPath, r.Path));
}
