using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Confinement.Landlock;

/// <summary>
/// Reuses a policy's Landlock ruleset across spawns (a ruleset fd can be given to restrict_self any number of times),
/// which saves opening every path and adding every rule again. It is reused only while each rule's path still names
/// the same file (device and inode): a folder deleted and created again gets a fresh ruleset. Plans that carve
/// denied paths out of trees depend on directory contents and are always built afresh. Only the policies used most
/// recently keep theirs: a test host builds a policy per test, and waiting for the collector to free each one's
/// ruleset held an fd per test.
/// </summary>
internal static class RulesetCache
{
    private const int Capacity = 16;

    private sealed record Entry(
        SafeFileHandle Handle, FsAccess HandledFs, NetAccess HandledNet, ScopeAccess Scopes,
        ushort[] Connect, ushort[] Bind, (FsRule Rule, (ulong, ulong)? Identity)[] Rules)
    {
        public bool Fits(ILandlockRestriction plan) =>
            HandledFs == plan.HandledFs && HandledNet == plan.HandledNet && Scopes == plan.Scopes
            && Connect.SequenceEqual(plan.ConnectPorts) && Bind.SequenceEqual(plan.BindPorts)
            && Rules.Select(r => r.Rule).SequenceEqual(plan.FsRules)
            && Rules.All(r => FileIdentity.Of(r.Rule.Path) == r.Identity);
    }

    // Most recently used first; policies are compared by reference, as they are immutable.
    private static readonly LinkedList<(SandboxPolicy Policy, Entry Entry)> Entries = new();

    /// <summary>Whether starts of <paramref name="policy"/> may get the same ruleset (not when its plan carves denied paths).</summary>
    public static bool Reuses(SandboxPolicy policy) => policy.FsDenied.IsEmpty;

    public static RulesetLease? Lease(SandboxPolicy policy, ILandlockRestriction plan)
    {
        if (!plan.UsesLandlock) return null;
        if (!Reuses(policy)) return new RulesetLease(LandlockRuleset.Create(plan)!, owned: true);
        lock (Entries)
        {
            var node = Entries.First;
            while (node is not null && !ReferenceEquals(node.Value.Policy, policy)) node = node.Next;
            if (node is not null)
            {
                Entries.Remove(node);
                if (node.Value.Entry.Fits(plan))
                {
                    Entries.AddFirst(node);
                    return new RulesetLease(node.Value.Entry.Handle, owned: false);
                }
                node.Value.Entry.Handle.Dispose();
            }
            // Identities are taken before the rules are built: a change in between makes the next spawn rebuild.
            var rules = plan.FsRules.Select(r => (r, FileIdentity.Of(r.Path))).ToArray();
            var handle = LandlockRuleset.Create(plan)!;
            var entry = new Entry(handle, plan.HandledFs, plan.HandledNet, plan.Scopes, [.. plan.ConnectPorts], [.. plan.BindPorts], rules);
            Entries.AddFirst((policy, entry));
            if (Entries.Count > Capacity)
            {
                // A spawn still using it holds a reference (RulesetLease), so the fd closes when that spawn is done.
                Entries.Last!.Value.Entry.Handle.Dispose();
                Entries.RemoveLast();
            }
            return new RulesetLease(handle, owned: false);
        }
    }
}
