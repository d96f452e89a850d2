using System.Collections.Immutable;
using System.Globalization;

using Sandlock.Policy;

namespace Sandlock;

public enum NetProtocol { Tcp, Udp, Icmp }

/// <summary>
/// An outbound endpoint rule: <c>host:port[,port...]</c>, <c>:port</c> or <c>*:port</c> (any host),
/// optionally prefixed <c>tcp://</c>, <c>udp://</c> or <c>icmp://</c>. <see cref="Host"/> is null for any host and
/// may be a name, an IPv4/IPv6 address or a CIDR block; an empty <see cref="Ports"/> means every port (<c>*</c>).
/// </summary>
public sealed record NetRule(NetProtocol Protocol, string? Host, ImmutableArray<ushort> Ports)
{
    public bool AnyHost => Host is null;

    public bool AnyPort => Ports.IsEmpty;

    public static NetRule Parse(string spec, string source)
    {
        var rest = spec.Trim();
        var protocol = NetProtocol.Tcp;
        foreach (var (prefix, p) in new[] { ("tcp://", NetProtocol.Tcp), ("udp://", NetProtocol.Udp), ("icmp://", NetProtocol.Icmp) })
        {
            if (rest.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) { protocol = p; rest = rest[prefix.Length..]; break; }
        }
        if (protocol == NetProtocol.Icmp)
        {
            var icmpHost = rest is "" or "*" ? null : Checked(rest, spec, source);
            return new NetRule(protocol, icmpHost, []);
        }
        var colon = rest.LastIndexOf(':');
        if (colon < 0 || rest.StartsWith('[') && !rest[..colon].EndsWith(']'))
            throw new PolicyException(source, $"invalid network rule '{spec}': expected HOST:PORT[,PORT...], :PORT or *:PORT");
        var host = rest[..colon].Trim('[', ']');
        var portText = rest[(colon + 1)..].Trim();
        // "*" means every port; an empty port list stands for that.
        var ports = portText == "*" ? [] : PortList.Parse(portText, source, spec);
        return new NetRule(protocol, host is "" or "*" ? null : Checked(host, spec, source), ports);
    }

    private static string Checked(string host, string spec, string source) =>
        NetHost.Problem(host) is { } problem
            ? throw new PolicyException(source, $"invalid network rule '{spec}': {problem}")
            : host;

    public override string ToString()
    {
        var prefix = Protocol == NetProtocol.Tcp ? "" : Protocol.ToString().ToLowerInvariant() + "://";
        return $"{prefix}{Host ?? "*"}:{(AnyPort ? "*" : string.Join(',', Ports))}";
    }
}

/// <summary>Port lists as written in flags and policy files: <c>80</c>, <c>80,443</c>, <c>8000-8010</c>.</summary>
internal static class PortList
{
    private const int MaxRangeLength = 4096;

    public static ImmutableArray<ushort> Parse(string text, string source, string? whole = null)
    {
        var builder = ImmutableArray.CreateBuilder<ushort>();
        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            var dash = part.IndexOf('-');
            if (dash > 0)
            {
                var first = ParsePort(part[..dash], source, whole ?? text);
                var last = ParsePort(part[(dash + 1)..], source, whole ?? text);
                if (last < first || last - first >= MaxRangeLength)
                    throw new PolicyException(source, $"invalid port range '{part}' in '{whole ?? text}': expected LOW-HIGH with at most {MaxRangeLength} ports");
                for (var port = first; port <= last; port++) builder.Add((ushort)port);
            }
            else
            {
                builder.Add(ParsePort(part, source, whole ?? text));
            }
        }
        return builder.Distinct().ToImmutableArray();
    }

    public static ushort ParsePort(string text, string source, string whole)
    {
        if (!ushort.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
            throw new PolicyException(source, $"invalid port '{text}' in '{whole}': expected a number from 1 to 65535");
        return port;
    }
}
