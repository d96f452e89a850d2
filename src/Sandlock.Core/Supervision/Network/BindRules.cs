namespace Sandlock.Supervision.Network;

/// <summary>
/// The TCP bind ports a policy allows, checked by the supervisor when it binds on the child's behalf (it is not
/// confined by Landlock, which checks the same list on binds the child makes itself).
/// </summary>
internal sealed class BindRules(IEnumerable<ushort> allow, IEnumerable<ushort> deny)
{
    private readonly HashSet<ushort> _allow = [.. allow];
    private readonly HashSet<ushort> _deny = [.. deny];

    public bool Allows(ushort port, out string reason)
    {
        if (_deny.Contains(port))
        {
            reason = "matches --net-deny-bind";
            return false;
        }
        if (_allow.Contains(port))
        {
            reason = "allowed by --net-allow-bind";
            return true;
        }
        // As Landlock: port 0 (any free port) is a port of its own, which no rule can list.
        reason = port == 0 ? "an ephemeral port (0) is not a --net-allow-bind port" : "no --net-allow-bind rule matches";
        return false;
    }
}
