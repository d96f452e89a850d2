using Microsoft.Build.Framework;
using Sandlock.Lifecycle;

namespace Sandlock.Build.Sessions;

/// <summary>
/// The sessions routed steps run in, one per distinct step policy of the project instance a build node is working
/// on. Provisioned at a policy's first step (or, for the policy of a plain routed Exec, as the project's build starts:
/// <see cref="FirstStepPreparation"/>); terminated when the build ends (MSBuild disposes objects registered with the
/// Build lifetime then) or as soon as a step of another project instance runs on this node, so a node reused for
/// another project, or by a later build, never runs a step in a session provisioned for something else. A session
/// a step still holds then (its command runs on after yielding the node) is terminated when the step lets it go.
/// </summary>
internal sealed class StepSessions : IDisposable
{
    private const string RegistryKey = "Sandlock.Build.StepSessions";

    /// <summary>
    /// A session, and how many steps hold it (<see cref="Lease"/>): a switch to another project retires a held one, and
    /// the last step to let go ends it.
    /// </summary>
    internal sealed class Held(SandboxSession session, ChildTempFolder? temp)
    {
        public SandboxSession Session { get; } = session;
        public ChildTempFolder? Temp { get; } = temp;
        public int Holders { get; set; }
        public bool Retired { get; set; }
    }

    private static readonly Lock Registering = new();
    private readonly LocalSandboxBackend _backend = new();
    private readonly Dictionary<string, Held> _sessions = new(StringComparer.Ordinal);
    private readonly HashSet<Held> _live = [];
    private readonly Lock _gate = new();
    private string? _project;
    private bool _disposed;

    /// <summary>The build's step compositions, which go with it.</summary>
    public ComposedSteps Compositions { get; } = new();

    /// <summary>This node's sessions; null when the engine cannot keep an object for the build (a step then provisions for itself).</summary>
    public static StepSessions? Of(IBuildEngine engine)
    {
        if (engine is not IBuildEngine4 registry) return null;
        lock (Registering)
        {
            if (registry.GetRegisteredTaskObject(RegistryKey, RegisteredTaskObjectLifetime.Build) is StepSessions sessions) return sessions;
            sessions = new StepSessions();
            registry.RegisterTaskObject(RegistryKey, sessions, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
            return sessions;
        }
    }

    /// <summary>
    /// The session for the steps whose policy's inputs are <paramref name="key"/> (<see cref="StepInputs.Session"/>),
    /// held for the calling step until the lease is disposed: a switch to another project meanwhile (a step or a
    /// preparation of another project on this node) leaves it to the step. <paramref name="provision"/> makes the
    /// policy and temp folder of a new one. Throws what provisioning throws.
    /// </summary>
    public Lease For(string project, string key, Func<(SandboxPolicy Policy, ChildTempFolder? Temp)> provision)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var held = Provisioned(project, key, provision);
            held.Holders++;
            return new Lease(this, held);
        }
    }

    /// <summary>A step's hold on its session: its command starts through it, and the session is not ended under it.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly StepSessions _owner;
        private readonly Held _held;
        private int _released;

        internal Lease(StepSessions owner, Held held) => (_owner, _held) = (owner, held);

        public SandboxSession Session => _held.Session;

        /// <summary>Starts a command in the session; a step disposes its lease after its command has ended.</summary>
        public Sandbox Start(ExecRequest request) => _owner._backend.Start(_held.Session, request);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) _owner.Released(_held);
        }
    }

    /// <summary>
    /// Provisions the session for <paramref name="key"/> ahead of the step that will ask for it, unless the build has
    /// ended. Throws what provisioning throws.
    /// </summary>
    public void Prepare(string project, string key, SandboxPolicy policy)
    {
        lock (_gate)
        {
            if (!_disposed) Provisioned(project, key, () => (policy, null));
        }
    }

    private Held Provisioned(string project, string key, Func<(SandboxPolicy Policy, ChildTempFolder? Temp)> provision)
    {
        if (_project != project)
        {
            TerminateAll();
            _project = project;
        }
        if (_sessions.TryGetValue(key, out var held)) return held;
        var (policy, temp) = provision();
        try
        {
            var session = _backend.ProvisionAsync(policy).GetAwaiter().GetResult();
            held = new Held(session, temp);
            _sessions[key] = held;
            _live.Add(held);
            return held;
        }
        catch
        {
            temp?.TryDelete();
            throw;
        }
    }

    private void Released(Held held)
    {
        lock (_gate)
        {
            held.Holders--;
            if (held.Holders == 0 && held.Retired) Terminate(held);
        }
    }

    /// <summary>Terminates the sessions of the project before; one a step still holds goes when the step lets go.</summary>
    private void TerminateAll()
    {
        foreach (var held in _sessions.Values)
        {
            if (held.Holders > 0) held.Retired = true;
            else Terminate(held);
        }
        _sessions.Clear();
    }

    private void Terminate(Held held)
    {
        _live.Remove(held);
        _backend.TerminateAsync(held.Session).GetAwaiter().GetResult();
        held.Temp?.TryDelete();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            TerminateAll();
            // The build has ended: a step still running (a canceled build) must not keep its session alive.
            foreach (var held in _live.ToList()) Terminate(held);
        }
    }
}
