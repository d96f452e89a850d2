using System.Net;
using System.Net.NetworkInformation;

namespace Sandlock.Supervision.Network;

/// <summary>Addresses that reach this host: loopback, the unspecified address, and the host's own interfaces.</summary>
internal static class LocalAddresses
{
    public static bool Contains(IPAddress address)
    {
        address = NetworkRules.Normalize(address);
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return true;
        // Read when asked (only for a remapped port): interfaces come and go while a sandbox runs.
        var bytes = address.GetAddressBytes();
        return NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Any(u => NetworkRules.Normalize(u.Address).GetAddressBytes().AsSpan().SequenceEqual(bytes));
    }
}
