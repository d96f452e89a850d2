using System.Net;
using Sandlock.Policy;

namespace Sandlock;

/// <summary>
/// An HTTP access rule <c>METHOD HOST[/PATH]</c>, e.g. <c>GET api.example.com/v1/*</c>: the method or <c>*</c>, the
/// host or <c>*</c> (or <c>*.example.com</c>), and a path that is exact or, ending in <c>*</c>, a prefix.
/// </summary>
public sealed record HttpRule(string Method, string Host, string Path)
{
    public static HttpRule Parse(string rule, string source)
    {
        var parts = rule.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || parts[0].Any(c => !char.IsAsciiLetterUpper(c) && c != '*'))
            throw new PolicyException(source, $"invalid HTTP rule '{rule}': expected 'METHOD HOST[/PATH]', e.g. 'GET example.com/api/*'");
        var slash = parts[1].IndexOf('/');
        var host = slash < 0 ? parts[1] : parts[1][..slash];
        var path = slash < 0 ? "/*" : parts[1][slash..];
        if (host.Length == 0)
            throw new PolicyException(source, $"invalid HTTP rule '{rule}': the host is empty");
        if (host != "*" && (host.Contains(':') && !host.StartsWith('[') || host.Any(char.IsWhiteSpace) || host.IndexOf('*', 1) >= 0 || host.StartsWith('*') && !host.StartsWith("*.", StringComparison.Ordinal)))
            throw new PolicyException(source, $"invalid HTTP rule '{rule}': expected a host name, an IP address, '*' or '*.DOMAIN' without a port (ports are --http-port)");
        if (path.IndexOf('*') is var star && star >= 0 && star != path.Length - 1)
            throw new PolicyException(source, $"invalid HTTP rule '{rule}': '*' may only end the path (a prefix)");
        string canonical;
        try { canonical = CanonicalHost(host.Trim('[', ']')); }
        catch (FormatException e) { throw new PolicyException(source, $"invalid HTTP rule '{rule}': {e.Message}"); }
        return new HttpRule(parts[0], canonical, path);
    }

    /// <summary>
    /// A host as rules compare it: lower case without a trailing dot, an address in its one canonical form, so
    /// that <c>127.1</c>, <c>0x7f.0.0.1</c>, <c>2130706433</c> and <c>::ffff:127.0.0.1</c> are all <c>127.0.0.1</c>,
    /// and a name in its ASCII (IDNA) form, so that <c>bücher.example</c> is <c>xn--bcher-kva.example</c>.
    /// Throws <see cref="FormatException"/> when the name is not a valid internationalized name.
    /// </summary>
    public static string CanonicalHost(string host)
    {
        var name = host.TrimEnd('.').ToLowerInvariant();
        if (name.StartsWith("*.", StringComparison.Ordinal)) return "*." + IdnHostNames.ToAscii(name[2..]);
        if (name.Length == 0 || name.StartsWith('*')) return name;
        if (!IPAddress.TryParse(name, out var address)) return IdnHostNames.ToAscii(name);
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    /// <summary>True when the host is a name or address (not <c>*</c> or <c>*.DOMAIN</c>).</summary>
    public bool HasConcreteHost => !Host.StartsWith('*');

    /// <summary>Whether a request matches: <paramref name="host"/> canonical (<see cref="CanonicalHost"/>), <paramref name="path"/> one reading of its path (<see cref="Policy.HttpPaths.Readings"/>).</summary>
    public bool Matches(string method, string host, string path) =>
        (Method == "*" || string.Equals(Method, method, StringComparison.Ordinal))
        && MatchesHost(host)
        && (Path.EndsWith('*') ? path.StartsWith(Path[..^1], StringComparison.Ordinal) : path == Path);

    private bool MatchesHost(string host) =>
        Host == "*"
        || string.Equals(Host, host, StringComparison.OrdinalIgnoreCase)
        || Host.StartsWith("*.", StringComparison.Ordinal) && host.EndsWith(Host[1..], StringComparison.OrdinalIgnoreCase);

    public override string ToString() => $"{Method} {(Host.Contains(':') ? $"[{Host}]" : Host)}{Path}";
}
