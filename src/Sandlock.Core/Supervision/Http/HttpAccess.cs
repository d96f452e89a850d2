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
            reason = $"matches the HTTP deny rule '{denied}'";
            return false;
        }
        if (allow.IsEmpty)
        {
            reason = "no HTTP deny rule matches";
            return true;
        }
        if (allow.FirstOrDefault(r => r.Matches(method, host, path)) is { } allowed)
        {
            reason = $"allowed by the HTTP rule '{allowed}'";
            return true;
        }
        reason = "no HTTP allow rule matches";
        return false;
    }
}
