using System.Collections.Immutable;

namespace Sandlock.Supervision.Http;

/// <summary>The allow and deny rules applied to one request: a deny rule wins; with allow rules, one must match.</summary>
internal sealed class HttpAccess(ImmutableArray<HttpRule> allow, ImmutableArray<HttpRule> deny)
{
    /// <summary>Decides a request (<paramref name="path"/> normalized); <paramref name="reason"/> names the rule that decided.</summary>
    public bool Allows(string method, string host, string path, out string reason)
    {
        if (deny.FirstOrDefault(r => r.Matches(method, host, path)) is { } denied)
        {
            reason = $"matches --http-deny '{denied}'";
            return false;
        }
        if (allow.IsEmpty)
        {
            reason = "no --http-deny rule matches";
            return true;
        }
        if (allow.FirstOrDefault(r => r.Matches(method, host, path)) is { } allowed)
        {
            reason = $"allowed by '{allowed}'";
            return true;
        }
        reason = $"no --http-allow rule matches (to allow it: --http-allow '{method} {host}{path}')";
        return false;
    }
}
