using System.Collections.Immutable;

namespace Sandlock.Policy;

/// <summary>What a policy's HTTP settings imply beyond themselves: the ports intercepted and the TCP rules they open.</summary>
internal static class HttpSettings
{
    /// <summary>Plain HTTP and, through the sandbox's own CA (given or ephemeral), HTTPS.</summary>
    public static readonly ImmutableArray<ushort> DefaultPorts = [80, 443];

    public static bool Applies(SandboxPolicy policy) => !policy.HttpAllow.IsEmpty || !policy.HttpDeny.IsEmpty;

    public static ImmutableArray<ushort> Ports(SandboxPolicy policy) =>
        !Applies(policy) ? [] : policy.HttpPorts.IsEmpty ? DefaultPorts : policy.HttpPorts;

    /// <summary>
    /// A rule with a host opens the HTTP ports to that host only; a rule with <c>*</c> (or <c>*.DOMAIN</c>, whose
    /// addresses are unknown) opens them to any address. Every connection to those ports goes through the proxy.
    /// </summary>
    public static IEnumerable<NetRule> ImpliedNetRules(SandboxPolicy policy)
    {
        var ports = Ports(policy);
        if (ports.IsEmpty) yield break;
        var rules = policy.HttpAllow.Concat(policy.HttpDeny).ToList();
        if (rules.Any(r => !r.HasConcreteHost)) yield return new NetRule(NetProtocol.Tcp, null, ports);
        foreach (var host in rules.Where(r => r.HasConcreteHost).Select(r => r.Host).Distinct(StringComparer.OrdinalIgnoreCase))
            yield return new NetRule(NetProtocol.Tcp, host, ports);
    }
}
