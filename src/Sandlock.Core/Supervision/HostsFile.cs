using System.Net;
using System.Text;

namespace Sandlock.Supervision;

/// <summary>The /etc/hosts a sandbox sees when its network rules name hosts: their addresses, pinned at start.</summary>
internal static class HostsFile
{
    public static string Render(IReadOnlyDictionary<string, IPAddress[]> pinned)
    {
        // The usual loopback names, unless a rule pinned localhost itself: then only what it resolved to is shown.
        var text = new StringBuilder(pinned.ContainsKey("localhost") ? "" : "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        foreach (var (host, addresses) in pinned.OrderBy(p => p.Key, StringComparer.Ordinal))
            foreach (var address in addresses)
                text.Append(address).Append('\t').Append(host).Append('\n');
        return text.ToString();
    }
}
