using System.Collections.Concurrent;

namespace Sandlock.Supervision.Files;

/// <summary>
/// Opens of existing files, by absolute path and flags, that a ruleset was seen to refuse nothing, shared by every
/// sandbox of that ruleset in this process: a test host's children and a build's steps open the same runtime,
/// libraries and tools, and each sandbox looked every one of them up again. Only files that existed are shared: a
/// missing one stays the sandbox's own, so that a file made later, and refused, is still recorded by the next sandbox.
/// Advisory as every record is: letting a call continue never allows more than the ruleset does.
/// </summary>
internal static class SharedAllowedOpens
{
    // Bounded: a host that runs sandboxes of ever new rulesets, or opens ever new paths, would otherwise grow them for good.
    private const int MaxRulesets = 16;
    public const int MaxPerRuleset = 4096;

    private static readonly ConcurrentDictionary<string, ConcurrentDictionary<(string Named, ulong Flags), byte>> ByRuleset = new(StringComparer.Ordinal);

    /// <summary>The opens shared by the sandboxes of <paramref name="ruleset"/> (a key that tells rulesets apart).</summary>
    public static ConcurrentDictionary<(string Named, ulong Flags), byte> Of(string ruleset)
    {
        if (ByRuleset.TryGetValue(ruleset, out var opens)) return opens;
        if (ByRuleset.Count >= MaxRulesets) ByRuleset.Clear();
        return ByRuleset.GetOrAdd(ruleset, _ => new());
    }
}
