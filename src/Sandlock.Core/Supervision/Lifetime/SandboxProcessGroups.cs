using System.Collections.Concurrent;

namespace Sandlock.Supervision.Lifetime;

/// <summary>
/// The process groups and sessions a sandbox's processes made with setpgid and setsid. Its processes can be nowhere
/// else (the sandbox's own group, or one of these), so these find the ones that left the tree when it ends.
/// </summary>
internal sealed class SandboxProcessGroups
{
    private readonly ConcurrentDictionary<int, byte> _groups = new();
    private readonly ConcurrentDictionary<int, byte> _sessions = new();

    public void AddGroup(int group) => _groups.TryAdd(group, 0);

    public void AddSession(int session)
    {
        // A new session is also a new process group of the same id.
        _sessions.TryAdd(session, 0);
        _groups.TryAdd(session, 0);
    }

    public bool HasGroup(int group) => _groups.ContainsKey(group);

    public IReadOnlyCollection<int> Groups => [.. _groups.Keys];

    public IReadOnlyCollection<int> Sessions => [.. _sessions.Keys];

    public bool IsEmpty => _groups.IsEmpty;
}
