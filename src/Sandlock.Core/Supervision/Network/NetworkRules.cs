using System.Net;
using System.Net.Sockets;
using Sandlock.Confinement;
using Sandlock.Policy;

namespace Sandlock.Supervision.Network;

/// <summary>
/// A policy's allow and deny endpoint rules, with host names resolved once, at start: the addresses are pinned
/// (and shown to the sandbox in its /etc/hosts), so a later DNS change cannot widen the policy.
/// </summary>
internal sealed class NetworkRules
{
    private sealed record Entry(NetProtocol Protocol, IPNetwork[]? Networks, HashSet<ushort>? Ports, string Text)
    {
        public bool Matches(NetProtocol protocol, IPAddress address, ushort port) =>
            protocol == Protocol
            && (Networks is null || Networks.Any(n => n.Contains(address)))
            && (Ports is null || Ports.Contains(port));
    }

    private readonly Entry[] _allow;
    private readonly Entry[] _deny;

    private NetworkRules(Entry[] allow, Entry[] deny, IReadOnlyDictionary<string, IPAddress[]> pinned)
    {
        _allow = allow;
        _deny = deny;
        PinnedHosts = pinned;
    }

    /// <summary>Host names of the allow rules and the addresses they were resolved to.</summary>
    public IReadOnlyDictionary<string, IPAddress[]> PinnedHosts { get; }

    /// <summary>True when some rule needs the supervisor (a host, address or CIDR, or a UDP/ICMP rule).</summary>
    public static bool NeedsSupervisor(SandboxPolicy policy) =>
        HttpSettings.Applies(policy) || policy.NetAllow.Any(r => !r.AnyHost || r.Protocol != NetProtocol.Tcp) || policy.NetDeny.Any(r => !r.AnyHost || r.Protocol != NetProtocol.Tcp);

    /// <summary>True when datagram sockets must be creatable because a rule allows UDP or ICMP.</summary>
    public static bool AllowsDatagrams(SandboxPolicy policy) => policy.NetAllow.Any(r => r.Protocol != NetProtocol.Tcp);

    public static NetworkRules Compile(SandboxPolicy policy)
    {
        var pinned = new Dictionary<string, IPAddress[]>(StringComparer.OrdinalIgnoreCase);
        var allow = policy.NetAllow.Concat(HttpSettings.ImpliedNetRules(policy)).Select(r => Compile(r, pinned, allowNames: true)).ToArray();
        var deny = policy.NetDeny.Select(r => Compile(r, pinned, allowNames: false)).ToArray();
        return new NetworkRules(allow, deny, pinned);
    }

    private static Entry Compile(NetRule rule, Dictionary<string, IPAddress[]> pinned, bool allowNames)
    {
        var ports = rule.AnyPort ? null : rule.Ports.ToHashSet();
        if (rule.Host is null) return new Entry(rule.Protocol, null, ports, rule.ToString());
        if (IPNetwork.TryParse(rule.Host, out var network)) return new Entry(rule.Protocol, [network], ports, rule.ToString());
        if (IPAddress.TryParse(rule.Host, out var address))
            return new Entry(rule.Protocol, [new IPNetwork(Normalize(address), address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)], ports, rule.ToString());
        if (!allowNames)
            throw new SandboxSetupException(SetupFailure.Sandbox, $"net_deny rule '{rule}': expected an IP address or CIDR block, not a host name");
        if (!pinned.TryGetValue(rule.Host, out var addresses))
        {
            try { addresses = Dns.GetHostAddresses(rule.Host).Select(Normalize).Distinct().ToArray(); }
            catch (SocketException e)
            {
                throw new SandboxSetupException(SetupFailure.Sandbox, $"net_allow rule '{rule}': cannot resolve {rule.Host}: {e.Message}");
            }
            pinned[rule.Host] = addresses;
        }
        var networks = addresses.Select(a => new IPNetwork(a, a.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)).ToArray();
        return new Entry(rule.Protocol, networks, ports, rule.ToString());
    }

    /// <summary>IPv4-mapped IPv6 addresses are treated as the IPv4 address they carry.</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Decides one destination; <paramref name="reason"/> names the rule that decided it.</summary>
    public bool Allows(NetProtocol protocol, IPAddress address, ushort port, out string reason)
    {
        address = Normalize(address);
        var denied = _deny.FirstOrDefault(d => d.Matches(protocol, address, port));
        if (denied is not null)
        {
            reason = $"matches --net-deny {denied.Text}";
            return false;
        }
        var allowed = _allow.FirstOrDefault(a => a.Matches(protocol, address, port));
        reason = allowed is null ? "no --net-allow rule matches" : $"allowed by {allowed.Text}";
        return allowed is not null;
    }
}
