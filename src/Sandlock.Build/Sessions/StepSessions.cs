using Microsoft.Build.Framework;
using Sandlock.Lifecycle;

namespace Sandlock.Build.Sessions;

/// <summary>
/// The sessions routed steps run in, one per distinct step policy of the project instance a build node is working
/// on. Provisioned at a policy's first step; terminated when the build ends (MSBuild disposes objects registered with
/// the Build lifetime then) or as soon as a step of another project instance runs on this node, so a node reused for
/// another project, or by a later build, never runs a step in a session provisioned for something else.
/// </summary>
internal sealed class StepSessions : IDisposable
{
    private const string RegistryKey = "Sandlock.Build.StepSessions";

    private sealed record Held(SandboxSession Session, ChildTempFolder? Temp);

    private static readonly Lock Registering = new();
    private readonly LocalSandboxBackend _backend = new();
    private readonly Dictionary<string, Held> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private string? _project;

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
    /// The session for the key policy serialized as <paramref name="key"/> (<see cref="ComposedStep.SessionKey"/>);
    /// <paramref name="provision"/> makes the policy and temp folder of a new one. Throws what provisioning throws.
    /// </summary>
    public SandboxSession For(string project, string key, Func<(SandboxPolicy Policy, ChildTempFolder? Temp)> provision)
    {
        lock (_gate)
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
                _sessions[key] = new Held(session, temp);
                return session;
            }
            catch
            {
                temp?.TryDelete();
                throw;
            }
        }
    }

    public Sandbox Start(SandboxSession session, ExecRequest request) => _backend.Start(session, request);

    private void TerminateAll()
    {
        foreach (var held in _sessions.Values)
        {
            _backend.TerminateAsync(held.Session).GetAwaiter().GetResult();
            held.Temp?.TryDelete();
        }
        _sessions.Clear();
    }

    public void Dispose()
    {
        lock (_gate) TerminateAll();
    }
}
