using System.Net;
using Sandlock.Policy;

namespace Sandlock.Supervision.Network;

/// <summary>A further say on a destination the static network rules allowed (the dynamic policy).</summary>
internal interface INetworkVeto
{
    bool Allows(SyscallEvent call, SupervisedSession session, NetProtocol protocol, IPAddress address, ushort port, out string reason);
}
