namespace Sandlock;

/// <summary>
/// The egress rules of a session, in the policy's own syntax: <see cref="Allow"/> as <c>net_allow</c>
/// (<c>host:port</c>, <c>:port</c>, <c>*:*</c>, <c>udp://…</c>), <see cref="Deny"/> as <c>net_deny</c>. They replace the
/// session's rules; bind ports stay as provisioned.
/// </summary>
public sealed record NetworkPolicy(IReadOnlyList<string> Allow, IReadOnlyList<string>? Deny = null)
{
    /// <summary>No outgoing connection at all.</summary>
    public static NetworkPolicy None { get; } = new([]);
}
