using Microsoft.Build.Framework;
using Sandlock.Lifecycle;

namespace Sandlock.Build.Sessions;

/// <summary>
/// The sessions routed steps run in, one per distinct step policy of the project instance a build node is working
/// on. Provisioned at a policy's first step (or, for the policy of a plain routed Exec, as the project's build starts:
/// <see cref="FirstStepPreparation"/>); terminated when the build ends (MSBuild disposes objects registered with the
/// Build lifetime then) or as soon as a step of another project instance runs on this node, so a node reused for
/// another project, or by a later build, never runs a step in a session provisioned for something else. A session
/// whose command still runs then (a yielded step of the project before) is terminated when that command ends.
/// </summary>
internal sealed class StepSessions : IDisposable
{
    private const string RegistryKey = "Sandlock.Build.StepSessions";

    private sealed class Held(SandboxSession session, ChildTempFolder? temp)
    {
        public SandboxSession Session { get; } = session;
        public ChildTempFolder? Temp { get; } = temp;
        public int Running { get; set; }
        public bool Retired { get; set; }
    }

    private static readonly Lock Registering = new();
    private readonly LocalSandboxBackend _backend = new();
    private readonly Dictionary<string, Held> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<SandboxSession, Held> _bySession = new(ReferenceEqualityComparer.Instance);
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
    /// The session for the steps whose policy's inputs are <paramref name="key"/> (<see cref="StepInputs.Session"/>);
    /// <paramref name="provision"/> makes the policy and temp folder of a new one. Throws what provisioning throws.
    /// </summary>
    public SandboxSession For(string project, string key, Func<(SandboxPolicy Policy, ChildTempFolder? Temp)> provision)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Provisioned(project, key, provision);
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

    private SandboxSession Provisioned(string project, string key, Func<(SandboxPolicy Policy, ChildTempFolder? Temp)> provision)
    {
        if (_project != project)
        {
            TerminateAll();
            _project = project;
        }
        if (_sessions.TryGetValue(key, out var held)) return held.Session;
        var (policy, temp) = provision();
        try
        {
            var session = _backend.ProvisionAsync(policy).GetAwaiter().GetResult();
            held = new Held(session, temp);
            _sessions[key] = held;
            _bySession[session] = held;
            return session;
        }
        catch
        {
            temp?.TryDelete();
            throw;
        }
    }

    public Sandbox Start(SandboxSession session, ExecRequest request)
    {
        Held? held;
        lock (_gate)
        {
            // Counted before it starts: a switch to another project meanwhile must not terminate the session under it.
            if (_bySession.TryGetValue(session, out held)) held.Running++;
        }
        Sandbox sandbox;
        try
        {
            sandbox = _backend.Start(session, request);
        }
        catch
        {
            if (held is not null) Ended(held);
            throw;
        }
        if (held is not null)
            _ = sandbox.Completion.ContinueWith(_ => Ended(held), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return sandbox;
    }

    private void Ended(Held held)
    {
        lock (_gate)
        {
            held.Running--;
            if (held.Running == 0 && held.Retired) Terminate(held);
        }
    }

    /// <summary>Terminates the sessions of the project before; one whose command still runs goes when it ends.</summary>
    private void TerminateAll()
    {
        foreach (var held in _sessions.Values)
        {
            if (held.Running > 0) held.Retired = true;
            else Terminate(held);
        }
        _sessions.Clear();
    }

    private void Terminate(Held held)
    {
        _bySession.Remove(held.Session);
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
            foreach (var held in _bySession.Values.ToList()) Terminate(held);
        }
    }
}
