using Sandlock.Confinement.Landlock;
using Sandlock.Policy;

namespace Sandlock.Supervision.Files;

/// <summary>
/// What the policy's Landlock ruleset lets the sandbox do to a file, answered the way the kernel will: a right it
/// handles is allowed when the rules met walking up from the file to the root grant it between them. Taken from the
/// same plan the ruleset is built from (<c>planned</c>, or planned again the same way), with every rule path
/// resolved, as host paths.
/// </summary>
internal sealed class LandlockGrants(SandboxPolicy policy, FsAccess handled, bool withoutProc, IReadOnlyList<FsRule>? planned = null)
{
    // Planned again only where the plan was not handed down, and only once a held call asks.
    private IReadOnlyList<FsRule> Rules => _rules ??= planned ?? FsRulePlanner.Plan(policy, withoutProc);
    private IReadOnlyList<FsRule>? _rules;
    private string? _key;

    /// <summary>Tells rulesets apart: the rights handled and every rule as planned. Grants of one key answer alike.</summary>
    public string Key => _key ??= Describe();

    private string Describe()
    {
        var text = new System.Text.StringBuilder().Append((ulong)handled).Append('\n');
        foreach (var rule in Rules) text.Append(rule.Path).Append('\0').Append((ulong)rule.Access).Append('\n');
        return text.ToString();
    }

    // By path: a carved folder (/etc around its credential files) is a rule per entry, and every unseen open asks.
    private Dictionary<string, FsAccess> ByPath => _byPath ??= Resolve();
    private Dictionary<string, FsAccess>? _byPath;

    private Dictionary<string, FsAccess> Resolve()
    {
        var byPath = new Dictionary<string, FsAccess>(StringComparer.Ordinal);
        foreach (var rule in Rules)
        {
            var path = Interop.LibcPaths.RealPath(rule.Path) ?? rule.Path;
            path = path.Length > 1 ? path.TrimEnd('/') : path;
            byPath[path] = byPath.GetValueOrDefault(path) | rule.Access;
        }
        return byPath;
    }

    /// <summary>Whether Landlock refuses <paramref name="need"/> on the file at <paramref name="hostPath"/> (resolved).</summary>
    public bool Refuses(string hostPath, FsAccess need)
    {
        if ((handled & need) != need) return false;
        var rules = ByPath.GetAlternateLookup<ReadOnlySpan<char>>();
        var path = hostPath.Length > 1 ? hostPath.AsSpan().TrimEnd('/') : hostPath.AsSpan();
        var granted = FsAccess.None;
        while (true)
        {
            if (rules.TryGetValue(path, out var access) && ((granted |= access) & need) == need) return false;
            if (path is "/" || path.Length == 0) return true;
            var slash = path.LastIndexOf('/');
            path = slash <= 0 ? "/" : path[..slash];
        }
    }
}
