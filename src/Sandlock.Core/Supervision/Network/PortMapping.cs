using Sandlock.Policy;
using Sandlock.Supervision.Network;

namespace Sandlock;

/// <summary>
/// A port a sandbox with port remapping bound: the port it asked for (and keeps seeing) and the port the host
/// really gave it, which is what clients outside the sandbox connect to.
/// </summary>
public sealed record PortMapping(NetProtocol Protocol, ushort VirtualPort, ushort RealPort, int Pid)
{
    public bool Remapped => VirtualPort != RealPort;

    public override string ToString() => $"port {VirtualPort}/{Protocol.ToString().ToLowerInvariant()} -> {RealPort}";
}
