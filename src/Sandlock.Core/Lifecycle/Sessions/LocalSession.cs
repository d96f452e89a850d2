using Sandlock.Policy;

namespace Sandlock.Lifecycle;

/// <summary>
/// A local session's state: what was provisioned for its current policy, what was provisioned for earlier ones (their
/// commands may still run), the commands running now and its temp folder.
/// </summary>
internal sealed class LocalSession(string id, ProvisionedConfinement current, ChildTempFolder? temp)
{
    private readonly List<ProvisionedConfinement> _superseded = [];
    private readonly HashSet<Sandbox> _running = [];

    public string Id { get; } = id;

    public Lock Gate { get; } = new();

    public ProvisionedConfinement Current { get; private set; } = current;

    public ChildTempFolder? Temp { get; } = temp;

    public SandboxSessionState State { get; private set; } = SandboxSessionState.Live;

    /// <summary>Every provisioning still held, the current one first.</summary>
    public IEnumerable<ProvisionedConfinement> All => [Current, .. _superseded];

    public void RequireLive(string operation)
    {
        switch (State)
        {
            case SandboxSessionState.Terminated:
                throw new SandboxSessionException($"session {Id} has been terminated: it cannot {operation}; provision a new session");
            case SandboxSessionState.Suspended:
                throw new SandboxSessionException($"session {Id} is suspended: resume it before asking it to {operation}");
        }
    }

    public void RequireNotTerminated(string operation)
    {
        if (State == SandboxSessionState.Terminated)
            throw new SandboxSessionException($"session {Id} has been terminated: it cannot {operation}; provision a new session");
    }

    /// <summary>Later commands start with <paramref name="next"/>; commands already running keep what they started with.</summary>
    public void Supersede(ProvisionedConfinement next)
    {
        _superseded.Add(Current);
        Current = next;
    }

    public void Started(Sandbox sandbox) => _running.Add(sandbox);

    public void Ended(Sandbox sandbox) => _running.Remove(sandbox);

    public IReadOnlyList<Sandbox> Running => [.. _running];

    public void Suspend() => State = SandboxSessionState.Suspended;

    public void Resume() => State = SandboxSessionState.Live;

    public void Terminate() => State = SandboxSessionState.Terminated;

    /// <summary>After the last command has ended: the ruleset fds and the temp folder go.</summary>
    public string? Release()
    {
        foreach (var confinement in All) confinement.Dispose();
        _superseded.Clear();
        return Temp?.TryDelete();
    }
}
