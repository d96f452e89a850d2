using System.Buffers.Binary;
using System.Net;
using Sandlock.Interop;
using Sandlock.Policy;
using Sandlock.Supervision.Network;

namespace Sandlock.Supervision.Dynamic;

/// <summary>
/// Shows execve, open/openat and bind to a <see cref="PolicyCallback"/> after the static policy, and checks the
/// restrictions the callback added. Network destinations reach it through <see cref="NetworkGate"/>, which asks it
/// before connecting on the child's behalf. A callback that throws kills the sandbox (the supervisor fails closed).
/// </summary>
/// <remarks>
/// execve and open continue in the kernel after the check, which re-reads path and argv from the child's memory: a
/// second thread could swap them in between. That cannot get past the static policy (Landlock checks the real
/// open), but it can get past a path the callback denied; restrictions that must hold against hostile code belong in
/// the static policy.
/// </remarks>
internal sealed class PolicyCallbackHandler(PolicyCallback callback) : SyscallHandler, INetworkVeto
{
    private const int MaxArguments = 256;

    public LivePolicy Live { get; } = new();

    public override IReadOnlyCollection<string> Syscalls { get; } = ["execve", "open", "openat", "bind"];

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var activity = call.Name switch
        {
            "execve" => Exec(call, session),
            "bind" => Bind(call, session),
            _ => Open(call, session),
        };
        if (activity is null) return ValueTask.FromResult(SyscallDecision.Allow);
        if (activity.Path is { } path && Live.IsPathDenied(path))
        {
            session.Deny(new Denial(call.Name, path, call.Pid, "denied at run time by the policy callback"));
            return ValueTask.FromResult(SyscallDecision.Deny(Errno.EACCES));
        }
        return ValueTask.FromResult(Decide(activity, session));
    }

    public bool Allows(SyscallEvent call, SupervisedSession session, NetProtocol protocol, IPAddress address, ushort port, out string reason)
    {
        if (Live.IsAddressDenied(address))
        {
            reason = "denied at run time by the policy callback";
            return false;
        }
        var activity = new SyscallActivity(call.Name, ActivityCategory.Network, call.Pid, ParentOf(call.Pid), Address: address, Port: port);
        var verdict = callback(activity, Live);
        reason = verdict.Action == PolicyVerdict.Kind.Deny ? "denied by the policy callback" : "allowed by the policy callback";
        if (verdict.Action == PolicyVerdict.Kind.Audit)
            session.Deny(new Denial(call.Name, activity.ToString(), call.Pid, "audited by the policy callback (allowed)"));
        return verdict.Action != PolicyVerdict.Kind.Deny;
    }

    private SyscallDecision Decide(SyscallActivity activity, SupervisedSession session)
    {
        var verdict = callback(activity, Live);
        switch (verdict.Action)
        {
            case PolicyVerdict.Kind.Deny:
                session.Deny(new Denial(activity.Syscall, activity.ToString(), activity.Pid, "denied by the policy callback"));
                return SyscallDecision.Deny(verdict.Errno > 0 ? verdict.Errno : 13);
            case PolicyVerdict.Kind.Audit:
                session.Deny(new Denial(activity.Syscall, activity.ToString(), activity.Pid, "audited by the policy callback (allowed)"));
                return SyscallDecision.Allow;
            default:
                return SyscallDecision.Allow;
        }
    }

    private static SyscallActivity? Exec(SyscallEvent call, SupervisedSession session)
    {
        var path = ChildAccess.ReadString(session, call, call.Args[0]);
        if (path is null) return null;
        var argv = new List<string>();
        var pointer = new byte[8];
        for (var i = 0; i < MaxArguments && call.Args[1] != 0; i++)
        {
            if (!ChildAccess.Read(session, call, call.Args[1] + (ulong)(i * 8), pointer)) break;
            var address = BinaryPrimitives.ReadUInt64LittleEndian(pointer);
            if (address == 0 || ChildAccess.ReadString(session, call, address) is not { } arg) break;
            argv.Add(arg);
        }
        return new SyscallActivity("execve", ActivityCategory.Process, call.Pid, ParentOf(call.Pid), Resolve(call.Pid, HeldOpen.AtFdCwd, path), argv);
    }

    private static SyscallActivity? Open(SyscallEvent call, SupervisedSession session) =>
        HeldOpen.Read(session, call) is { } open
            ? new SyscallActivity(call.Name, ActivityCategory.File, call.Pid, ParentOf(call.Pid), Resolve(call.Pid, open.DirFd, open.Path))
            : null;

    private static SyscallActivity? Bind(SyscallEvent call, SupervisedSession session)
    {
        var address = new byte[Math.Min(call.Args[2], 128)];
        if (!ChildAccess.Read(session, call, call.Args[1], address) || !SocketAddressBytes.TryParse(address, out var ip, out var port)) return null;
        return new SyscallActivity("bind", ActivityCategory.Network, call.Pid, ParentOf(call.Pid), Address: ip, Port: port);
    }

    /// <summary>An absolute path for what the child named; as named when its base cannot be read.</summary>
    private static string Resolve(int pid, int directoryFd, string path) => ChildPaths.Absolute(pid, directoryFd, path) ?? path;

    private static int ParentOf(int pid) => ProcessStatus.Read(pid)?.Parent ?? 0;
}
