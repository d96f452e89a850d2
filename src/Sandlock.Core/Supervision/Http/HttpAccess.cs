using System.Collections.Immutable;

namespace Sandlock.Supervision.Http;

/// <summary>
/// The allow and deny rules applied to one request: a deny rule that matches any reading of the path wins; with
/// allow rules, every reading must be allowed (<see cref="Policy.HttpPaths.Readings"/>).
/// </summary>
internal sealed class HttpAccess(ImmutableArray<HttpRule> allow, ImmutableArray<HttpRule> deny)
{
    /// <summary>Decides a request; <paramref name="reason"/> names the rule that decided.</summary>
    public bool Allows(string method, string host, IReadOnlyList<string> readings, out string reason)
    {
        foreach (var path in readings)
        {
            if (deny.FirstOrDefault(r => r.Matches(method, host, path)) is not { } denied) continue;
            reason = $"matches the HTTP deny rule '{denied}'{AsRead(path, readings)}";
            return false;
        }
        if (allow.IsEmpty)
        {
            reason = "no HTTP deny rule matches";
            return true;
        }
        HttpRule? first = null;
        foreach (var path in readings)
        {
            if (allow.FirstOrDefault(r => r.Matches(method, host, path)) is not { } allowed)
            {
                reason = $"no HTTP allow rule matches{AsRead(path, readings)}";
                return false;
            }
            first ??= allowed;
        }
        reason = $"allowed by the HTTP rule '{first}'";
        return true;
    }

    private static string AsRead(string path, IReadOnlyList<string> readings) =>
        path == readings[0] ? "" : $" the path as a server may read it, {path}";
}
