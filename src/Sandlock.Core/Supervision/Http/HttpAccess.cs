using System.Collections.Immutable;
using Sandlock.Policy;

namespace Sandlock.Supervision.Http;

/// <summary>
/// The allow and deny rules applied to one request: a deny rule wins; with allow rules, one must match. A path a
/// server may read in more than one way is allowed only when every reading is, and denied when any is; a deny rule
/// naming an address also refuses a request that names its host by another name.
/// </summary>
internal sealed class HttpAccess(ImmutableArray<HttpRule> allow, ImmutableArray<HttpRule> deny)
{
    /// <summary>
    /// Decides a request to <paramref name="host"/> (as it names it) at <paramref name="address"/> (where it goes);
    /// <paramref name="reason"/> names the rule that decided.
    /// </summary>
    public bool Allows(string method, string host, string address, HttpPath path, out string reason)
    {
        var hosts = host == address ? [host] : new[] { host, address };
        if (deny.FirstOrDefault(r => hosts.Any(h => path.DenyReadings.Any(p => r.Matches(method, h, p)))) is { } denied)
        {
            reason = $"matches the HTTP deny rule '{denied}'";
            return false;
        }
        if (allow.IsEmpty)
        {
            reason = "no HTTP deny rule matches";
            return true;
        }
        if (allow.FirstOrDefault(r => r.Matches(method, host, path.Matched)) is not { } allowed)
        {
            reason = "no HTTP allow rule matches";
            return false;
        }
        if (path.WithoutParameters is { } bare && !allow.Any(r => r.Matches(method, host, bare)))
        {
            reason = $"no HTTP allow rule matches the path without its ';' parameters ({bare}), which some servers serve";
            return false;
        }
        reason = $"allowed by the HTTP rule '{allowed}'";
        return true;
    }
}
