using System.Text;
using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Supervision.Network;

/// <summary>
/// Confines connects and datagram sends to unix sockets by path, which no Landlock right of this kernel covers, to
/// the policy's write paths (<see cref="UnixSocketGrants"/>). The path is resolved as the caller would (its working
/// directory, its chroot), opened O_PATH and checked where it really is, symlinks followed; the socket is then
/// reached through /proc/self/fd/N of that file, so neither a swapped path nor a swapped link can lead elsewhere.
/// Abstract names are held to Landlock's scope (bound in the sandbox) because the supervisor is outside it.
/// Not covered: fs_mount paths (the tree without the mount is what is resolved).
/// </summary>
internal sealed class UnixSocketPaths(SandboxPolicy policy, bool abstractScoped, IReadOnlyList<Confinement.Landlock.FsRule>? planned = null) : SocketGate<int>
{
    private const int SunPathOffset = 2, SunPathSize = 108;

    private readonly UnixSocketGrants _grants = new(policy, planned);
    private readonly string _root = ChildRoot.Canonical(policy).Chroot ?? "/";

    /// <summary>A sendto without an address needs no look; the pointer is checked in all its 64 bits.</summary>
    public override IReadOnlyDictionary<string, Confinement.Seccomp.ArgumentMatch> WantedWhen { get; } =
        new Dictionary<string, Confinement.Seccomp.ArgumentMatch> { ["sendto"] = Confinement.Seccomp.ArgumentMatch.NonZero(4) };

    /// <summary>The socket type (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET) of a unix socket.</summary>
    protected override int? Gates(SafeFileHandle socket) =>
        SocketCalls.Option(socket, SocketCalls.SO_DOMAIN) == SocketCalls.AF_UNIX ? SocketCalls.Option(socket, SocketCalls.SO_TYPE) : null;

    // Stream sockets refuse an address on a send and sequenced-packet ones ignore it: only datagrams go where they say.
    // An address of no more than the family (its length is in a register) holds no path.
    protected override bool Continues(SyscallEvent call, int type) => call.Name switch
    {
        "connect" => call.Args[2] <= SunPathOffset,
        "sendto" => type != SocketCalls.SOCK_DGRAM || call.Args[4] == 0 || call.Args[5] <= SunPathOffset,
        _ => type != SocketCalls.SOCK_DGRAM,
    };

    protected override Destination? Check(SyscallEvent call, SupervisedSession session, int type, byte[] address, out int errno)
    {
        errno = Errno.EACCES;
        // No name, another family (the kernel's EINVAL, or AF_UNSPEC's disconnect), or no path: as the caller gave it.
        if (address.Length <= SunPathOffset || BitConverter.ToUInt16(address) != SocketCalls.AF_UNIX) return new Destination(address);
        var path = address.AsSpan(SunPathOffset, Math.Min(address.Length - SunPathOffset, SunPathSize));
        if (path[0] == 0)
        {
            if (!abstractScoped || AbstractSocketOwners.BoundInSandbox(session.Members, path[1..])) return new Destination(address);
            session.Deny(new Denial(call.Name, $"abstract unix socket @{Encoding.UTF8.GetString(path[1..]).Replace('\0', '@')}", call.Pid,
                "bound outside the sandbox (Landlock abstract-socket scope)"));
            // Landlock's own answer to the sandbox's own connect.
            errno = Errno.EPERM;
            return null;
        }
        var nul = path.IndexOf((byte)0);
        var named = Encoding.UTF8.GetString(nul < 0 ? path : path[..nul]);
        return Reach(call, session, named, out errno);
    }

    /// <summary>Opens the socket file the caller named and, when a grant covers where it is, the address that reaches it.</summary>
    private Destination? Reach(SyscallEvent call, SupervisedSession session, string named, out int errno)
    {
        errno = Errno.EACCES;
        if (ChildPaths.Absolute(call.Pid, HeldOpen.AtFdCwd, named) is not { } absolute)
        {
            session.Deny(new Denial(call.Name, $"unix socket {named}", call.Pid, "the caller's working directory cannot be read"));
            return null;
        }
        var root = Libc.Open(_root, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (root < 0) { errno = Libc.LastError; return null; }
        int file;
        try
        {
            // Magic links would resolve in the supervisor (its /proc/self, or a host process's root).
            file = ResolvingOpen.OpenAt2(root, absolute, (ulong)(Libc.O_PATH | Libc.O_CLOEXEC), ResolvingOpen.ResolveInRoot | ResolvingOpen.ResolveNoMagicLinks);
            if (file < 0) errno = Libc.LastError;
        }
        finally { Libc.Close(root); }
        if (file < 0)
        {
            if (errno is Errno.ELOOP or Errno.EXDEV) session.Deny(new Denial(call.Name, $"unix socket {named}", call.Pid, "a path through a /proc magic link is not followed"));
            return null;
        }
        var handle = new SafeFileHandle(file, ownsHandle: true);
        var link = $"/proc/self/fd/{file}";
        var where = new FileInfo(link).LinkTarget ?? named;
        if (!_grants.Allows(where, out var reason))
        {
            handle.Dispose();
            session.Deny(new Denial(call.Name, where == absolute ? $"unix socket {where}" : $"unix socket {where} (named {named})", call.Pid, reason));
            errno = Errno.EACCES;
            return null;
        }
        var reach = new byte[SunPathOffset + Encoding.UTF8.GetByteCount(link) + 1];
        BitConverter.TryWriteBytes(reach, (ushort)SocketCalls.AF_UNIX);
        Encoding.UTF8.GetBytes(link, reach.AsSpan(SunPathOffset));
        return new Destination(reach, handle);
    }
}
