using Sandlock.Confinement;
using Sandlock.Confinement.Landlock;
using Sandlock.Policy;
using Sandlock.Supervision;

namespace Sandlock.Lifecycle;

/// <summary>
/// What is decided once for a policy before anything runs under it: the confinement plan (Landlock rules, the compiled
/// seccomp filter, the supervisor's handlers with their pinned host names) and the Landlock ruleset fd. A one-shot
/// <see cref="Sandbox"/> provisions one per start; a session provisions one and starts every command with it.
/// </summary>
internal sealed class ProvisionedConfinement : IDisposable
{
    private readonly RulesetLease? _ruleset;
    private List<string>? _environment;

    private ProvisionedConfinement(SandboxPolicy policy, ConfinementPlan plan, RulesetLease? ruleset)
    {
        Policy = policy;
        Plan = plan;
        _ruleset = ruleset;
    }

    public SandboxPolicy Policy { get; }

    public ConfinementPlan Plan { get; }

    public int RulesetFd => _ruleset?.Fd ?? -1;

    /// <summary>Fails closed (<see cref="SandboxSetupException"/>) when the kernel cannot enforce the policy.</summary>
    public static ProvisionedConfinement Create(SandboxPolicy policy, IReadOnlyList<SyscallHandler>? handlers = null,
        PolicyCallback? callback = null)
    {
        var plan = ConfinementPlan.Create(policy, KernelFeatures.Current, handlers, callback);
        return new ProvisionedConfinement(policy, plan, RulesetCache.Lease(policy, plan));
    }

    /// <summary>
    /// The environment a session's commands start with, read once (a later change to this process's environment
    /// does not reach them): as the session is provisioned (<see cref="ForSession"/>), or changed.
    /// </summary>
    public IReadOnlyList<string> SessionEnvironment() => _environment ??= ChildEnvironment.Build(Policy);

    /// <summary>
    /// A session's confinement: what its commands share is made now, while the caller provisions, and not by its first
    /// command (in a fresh process, where every first call also loads and binds types, about 1 ms of that command's start).
    /// </summary>
    public static ProvisionedConfinement ForSession(SandboxPolicy policy)
    {
        var confinement = Create(policy);
        try
        {
            confinement.SessionEnvironment();
            confinement.Plan.Supervised?.MakeHandlerTable();
            return confinement;
        }
        catch
        {
            confinement.Dispose();
            throw;
        }
    }

    public void Dispose() => _ruleset?.Dispose();
}
