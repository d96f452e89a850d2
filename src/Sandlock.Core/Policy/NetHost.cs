using System.Net;

namespace Sandlock.Policy;

/// <summary>The host part of a network rule: an IP address, a CIDR block or a DNS name.</summary>
internal static class NetHost
{
    private const int MaxName = 253, MaxLabel = 63;

    /// <summary>Null when <paramref name="host"/> is usable, else what is wrong with it.</summary>
    public static string? Problem(string host)
    {
        if (host.Contains('/'))
            return IPNetwork.TryParse(host, out _) ? null : $"'{host}' is not a CIDR block: expected ADDRESS/PREFIX such as 10.0.0.0/8";
        if (IPAddress.TryParse(host, out _)) return null;
        if (host.Contains(':')) return $"'{host}' is not an IPv6 address";
        var name = host.EndsWith('.') ? host[..^1] : host;
        if (name.Length == 0) return "the host name is empty";
        if (name.Length > MaxName) return $"host name of {name.Length} characters: expected at most {MaxName}";
        foreach (var label in name.Split('.'))
        {
            if (label.Length == 0) return $"'{host}' has an empty label: expected names such as api.example.com";
            if (label.Length > MaxLabel) return $"'{host}' has a label of {label.Length} characters: expected at most {MaxLabel} between dots";
            if (label[0] == '-' || label[^1] == '-') return $"'{host}' has a label starting or ending with '-'";
            if (!label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                return $"'{host}' is not a host name: expected letters, digits, '-' and '.' (or an IP address or CIDR block)";
        }
        if (name.Split('.').All(label => label.All(char.IsAsciiDigit))) return $"'{host}' is not an IPv4 address";
        return null;
    }
}
