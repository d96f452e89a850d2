using Sandlock.Confinement.Landlock;
using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Lifecycle;

/// <summary>
/// One-shot sandboxes of a policy that repeats (a server confining each request alike, <c>RunAsync</c> in a loop) start
/// as a session's commands do: the child of the policy's next start is confined ahead on the spawn thread while nothing
/// waits, and the start only plans its own supervisor, attaches it and hands over the command. A policy gets a waiting
/// child from its second start on, one at a time; one not taken within <see cref="IdleLifetime"/> is ended, so a process
/// that stops starting keeps no idle child for long. Policies are told apart by reference, as they are immutable.
/// </summary>
internal static class RepeatedPolicies
{
    private const int Capacity = 8;

    /// <summary>How long a waiting child is kept for the next start of its policy (tests that watch one lengthen it).</summary>
    internal static TimeSpan IdleLifetime { get; set; } = TimeSpan.FromSeconds(2);

    private sealed class Entry(SandboxPolicy policy)
    {
        public SandboxPolicy Policy { get; } = policy;
        public Task<PreparedChild?>? Next { get; set; }
        public Timer? Expiry { get; set; }
    }

    private static readonly Lock Gate = new();

    // Every policy's starts, for as long as the policy object lives: a test host starting a new policy for each test
    // must not push a repeating one out before it repeats.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SandboxPolicy, System.Runtime.CompilerServices.StrongBox<int>> Starts = new();

    // Repeating policies only, the one most recently given a waiting child first.
    private static readonly LinkedList<Entry> Entries = new();

    /// <summary>
    /// Counts a start of <paramref name="policy"/> and gives it the child confined ahead for it, if any; null otherwise.
    /// The caller disposes the child (after launching it, or unused when it does not fit).
    /// </summary>
    public static PreparedChild? Take(SandboxPolicy policy)
    {
        Task<PreparedChild?>? next;
        lock (Gate)
        {
            Starts.GetOrCreateValue(policy).Value++;
            next = Find(policy) is { } entry ? Detach(entry) : null;
        }
        if (next is null) return null;
        // One still being made is waited for: an ordinary start would queue behind it on the spawn thread anyway.
        try { return next.GetAwaiter().GetResult(); }
        catch (Exception e) when (e is not OutOfMemoryException) { return null; }
    }

    /// <summary>
    /// After a start of <paramref name="policy"/> with <paramref name="confinement"/>: confines a child for its next start,
    /// when the policy has started before and its starts can be prepared. True when it took <paramref name="confinement"/>
    /// (the waiting child then owns it); false leaves it to the caller.
    /// </summary>
    public static bool Started(SandboxPolicy policy, ProvisionedConfinement confinement)
    {
        if (!RulesetCache.Reuses(policy)) return false;
        SpawnRequest request;
        try { request = Sandbox.ConfinementRequest(policy, confinement); }
        catch (SandboxSetupException) { return false; }
        if (!PreparedChild.Suits(confinement, request)) return false;
        lock (Gate)
        {
            if (!Starts.TryGetValue(policy, out var starts) || starts.Value < 2 || Touch(policy) is not { Next: null } entry) return false;
            var next = SpawnThread.OnSpawnThreadAsync<PreparedChild?>(() => PreparedChild.Prepare(confinement, request, ownsConfinement: true));
            entry.Next = next;
            entry.Expiry = new Timer(_ => Expire(entry, next), null, IdleLifetime, Timeout.InfiniteTimeSpan);
            return true;
        }
    }

    /// <summary>The waiting child of each policy (for tests that watch them).</summary>
    internal static Task<PreparedChild?>? NextFor(SandboxPolicy policy)
    {
        lock (Gate) return Find(policy)?.Next;
    }

    private static void Expire(Entry entry, Task<PreparedChild?> next)
    {
        lock (Gate)
        {
            if (!ReferenceEquals(entry.Next, next)) return;
            Detach(entry);
        }
        _ = PreparedChild.DisposeWhenMade(next);
    }

    private static Entry? Find(SandboxPolicy policy)
    {
        for (var node = Entries.First; node is not null; node = node.Next)
            if (ReferenceEquals(node.Value.Policy, policy)) return node.Value;
        return null;
    }

    /// <summary>The policy's entry, made if new, moved to the front; the least recently prepared beyond the capacity go.</summary>
    private static Entry Touch(SandboxPolicy policy)
    {
        var entry = Find(policy);
        if (entry is not null) Entries.Remove(entry);
        entry ??= new Entry(policy);
        Entries.AddFirst(entry);
        while (Entries.Count > Capacity)
        {
            var last = Entries.Last!.Value;
            Entries.RemoveLast();
            if (Detach(last) is { } dropped) _ = PreparedChild.DisposeWhenMade(dropped);
        }
        return entry;
    }

    /// <summary>Takes the entry's waiting child (or the one being made) out of it and stops its expiry.</summary>
    private static Task<PreparedChild?>? Detach(Entry entry)
    {
        var next = entry.Next;
        entry.Next = null;
        entry.Expiry?.Dispose();
        entry.Expiry = null;
        return next;
    }
}
