using Sandlock.Policy;

namespace Sandlock.Supervision.Network;

/// <summary>One sandbox's port space: the real port behind each virtual port it has bound, per protocol.</summary>
internal sealed class VirtualPorts
{
    private readonly Dictionary<(NetProtocol, ushort), ushort> _realOf = [];
    private readonly Dictionary<(NetProtocol, ushort), ushort> _virtualOf = [];
    private volatile bool _anyRemapped;

    /// <summary>Held while a virtual port is bound for the first time, so two threads cannot both claim it.</summary>
    public Lock Gate { get; } = new();

    /// <summary>False until some virtual port maps to a different real port: until then nothing needs translating.</summary>
    public bool AnyRemapped => _anyRemapped;

    public bool TryGetReal(NetProtocol protocol, ushort virtualPort, out ushort realPort)
    {
        lock (Gate) return _realOf.TryGetValue((protocol, virtualPort), out realPort);
    }

    /// <summary>The virtual port a remapped real port stands for (not for ports that kept their number).</summary>
    public bool TryGetVirtual(NetProtocol protocol, ushort realPort, out ushort virtualPort)
    {
        lock (Gate) return _virtualOf.TryGetValue((protocol, realPort), out virtualPort);
    }

    public void Add(NetProtocol protocol, ushort virtualPort, ushort realPort)
    {
        lock (Gate)
        {
            _realOf[(protocol, virtualPort)] = realPort;
            if (virtualPort == realPort) return;
            _virtualOf[(protocol, realPort)] = virtualPort;
            _anyRemapped = true;
        }
    }
}
