using Sandlock.Policy;

namespace Sandlock.Supervision.Learning;

/// <summary>
/// The observers of one <c>sandlock learn</c> run and what they record. The run is confined by what its user asked
/// for and no more: a policy that names no network rule gets the network open (no sandlock default refuses it), so
/// the destinations the command needs are seen rather than refused.
/// </summary>
internal sealed class RunObservation
{
    public RunRecorder Recorder { get; } = new();

    /// <summary>The handlers that record, served before every other (see <see cref="ObservingHandler"/>).</summary>
    public IReadOnlyList<SyscallHandler> HandlersFor(SandboxPolicy policy) =>
        [new PathObserver(Recorder, ChildRoot.Canonical(policy).Chroot ?? "/"), new NetworkObserver(Recorder), new ProcessObserver(Recorder)];

    /// <summary>The policy the observed run gets: the user's, with the network open when the user gave no network rule.</summary>
    public static SandboxPolicy Observing(SandboxPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var network = !policy.NetAllow.IsEmpty || !policy.NetDeny.IsEmpty || !policy.NetBind.IsEmpty || !policy.NetDenyBind.IsEmpty
            || HttpSettings.Applies(policy) || policy.PortRemap;
        if (network) return policy;
        const string source = "sandlock learn";
        return policy with
        {
            NetAllow = [NetRule.Parse("*:*", source), NetRule.Parse("udp://*:*", source), NetRule.Parse("icmp://*", source)],
            // Landlock can only list bind ports; without it every port can be bound and seen.
            Disabled = policy.Disabled.Add(Protection.LandlockNet),
        };
    }

    /// <summary>
    /// A confined front door's policy (a build step's, a test's) with its filesystem rules taken off, for a run that is
    /// learned: what it would have been refused is then seen and recorded rather than refused.
    /// </summary>
    public static SandboxPolicy WithoutFilesystemRules(SandboxPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy with { FsReadable = [], FsWritable = [], FsDenied = [], RecordFilesystemDenials = false };
    }
}
