using Sandlock.Interop;
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
    private Task<PreparedChild?>? _next;
    private readonly List<Task> _discarding = [];

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
        DiscardPrepared();
        _superseded.Add(Current);
        Current = next;
    }

    /// <summary>
    /// The child prepared for the next command, when it was prepared for the current provisioning. One still being
    /// made is waited for: it is on the spawn thread, where this command's ordinary start would queue behind it.
    /// </summary>
    public PreparedChild? TakePrepared()
    {
        if (_next is not { } next) return null;
        _next = null;
        PreparedChild? child;
        try { child = next.GetAwaiter().GetResult(); }
        catch (Exception e) when (e is not OutOfMemoryException) { return null; }
        if (child is null) return null;
        if (ReferenceEquals(child.Confinement, Current)) return child;
        child.Dispose();
        return null;
    }

    /// <summary>The child being prepared or ready for the next command, if any (for tests that watch it).</summary>
    internal Task<PreparedChild?>? NextPrepared => _next;

    /// <summary>Confines a child for the next command on the spawn thread, unless one is ready or being made.</summary>
    public void PrepareNext()
    {
        if (_next is not null || State != SandboxSessionState.Live) return;
        var confinement = Current;
        SpawnRequest request;
        // What cannot be prepared is refused by the command's own start, with the error it reports there.
        try { request = Sandbox.ConfinementRequest(confinement.Policy, confinement); }
        catch (SandboxSetupException) { return; }
        if (!PreparedChild.Suits(confinement, request)) return;
        _next = SpawnThread.OnSpawnThreadAsync(() => PreparedChild.Prepare(confinement, request));
    }

    /// <summary>Kills the prepared child, now or as soon as it is made; termination waits for every such kill.</summary>
    private void DiscardPrepared()
    {
        var next = _next;
        _next = null;
        if (next is null) return;
        _discarding.RemoveAll(discard => discard.IsCompleted);
        _discarding.Add(PreparedChild.DisposeWhenMade(next));
    }

    public void Started(Sandbox sandbox) => _running.Add(sandbox);

    public void Ended(Sandbox sandbox) => _running.Remove(sandbox);

    public IReadOnlyList<Sandbox> Running => [.. _running];

    public void Suspend()
    {
        DiscardPrepared();
        State = SandboxSessionState.Suspended;
    }

    public void Resume() => State = SandboxSessionState.Live;

    /// <summary>
    /// No command starts after this; the task ends once every child prepared ahead is reaped (one still being made uses
    /// a ruleset the session's release closes, and would be forked after it).
    /// </summary>
    public Task Terminate()
    {
        State = SandboxSessionState.Terminated;
        DiscardPrepared();
        return Task.WhenAll(_discarding);
    }

    /// <summary>After the last command has ended: the ruleset fds and the temp folder go.</summary>
    public string? Release()
    {
        foreach (var confinement in All) confinement.Dispose();
        _superseded.Clear();
        return Temp?.TryDelete();
    }
}
