using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Confinement.Seccomp;

/// <summary>Compiles a policy's syscall deny list into the seccomp-bpf program the native shim installs.</summary>
internal static class SeccompProgram
{
    private const uint AuditArchX86_64 = 0xC000003E;
    private const uint X32SyscallBit = 0x40000000;


    private const uint CloneNamespaceFlags =
        0x00020000   // CLONE_NEWNS
        | 0x02000000 // CLONE_NEWCGROUP
        | 0x04000000 // CLONE_NEWUTS
        | 0x08000000 // CLONE_NEWIPC
        | 0x10000000 // CLONE_NEWUSER
        | 0x20000000 // CLONE_NEWPID
        | 0x40000000 // CLONE_NEWNET
        | 0x00000080; // CLONE_NEWTIME

    private const uint AfUnix = 1;
    private const uint AfInet = 2;
    private const uint AfInet6 = 10;
    private const uint AfNetlink = 16;
    private const uint AfPacket = 17;
    private const uint SockTypeMask = 0xF;
    private const uint SockStream = 1;
    private const uint SockDgram = 2;
    private const uint IpprotoDefault = 0;
    private const uint IpprotoIcmp = 1;
    private const uint IpprotoTcp = 6;
    private const uint IpprotoUdp = 17;
    private const uint IpprotoIcmpV6 = 58;
    private const uint NetlinkRoute = 0;

    private const uint FileTypeMask = 0xF000; // S_IFMT
    private const uint CharacterDevice = 0x2000; // S_IFCHR
    private const uint BlockDevice = 0x6000; // S_IFBLK

    private const uint Tiocsti = 0x5412;
    private const uint Tioclinux = 0x541C;

    public static SockFilter[] Build(SandboxPolicy policy, SyscallTable table) => Build(policy, table, denyDatagramSockets: true, held: []);

    /// <summary>
    /// <paramref name="denyDatagramSockets"/>: whether IPv4/IPv6 datagram sockets (UDP, ICMP) are refused; raw and
    /// packet sockets, stream protocols other than TCP and families other than unix, IP and netlink (routing only)
    /// are refused regardless. <paramref name="held"/>: syscalls routed to the supervisor
    /// (SECCOMP_RET_USER_NOTIF) instead of allowed, always or when their arguments match; a denied syscall stays
    /// denied. Several entries for one syscall hold it when any of them matches. <paramref name="refused"/>: calls
    /// failed by the filter when their arguments match, checked before the holds.
    /// </summary>
    public static SockFilter[] Build(SandboxPolicy policy, SyscallTable table, bool denyDatagramSockets, IReadOnlyCollection<HeldSyscall> held,
        IReadOnlyCollection<RefusedCall>? refused = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(table);

        var denied = DeniedNumbers(policy, table);
        var e = new BpfEmitter();

        // Shared exits, last in the program so every check can reach them.
        var kill = e.Return(Bpf.RetKillProcess);
        var enosys = e.Return(Bpf.Errno(Errno.ENOSYS));
        var eacces = e.Return(Bpf.Errno(Errno.EACCES));
        var eperm = e.Return(Bpf.Errno(Errno.EPERM));
        var eprotonosupport = e.Return(Bpf.Errno(Errno.EPROTONOSUPPORT));
        var eafnosupport = e.Return(Bpf.Errno(Errno.EAFNOSUPPORT));
        var notify = e.Return(Bpf.RetUserNotif);
        var allow = e.Return(Bpf.RetAllow);

        // Per held number: null when held always, else the conditions of which any holds it.
        var holds = new Dictionary<uint, List<ArgumentMatch>?>();
        foreach (var hold in held)
        {
            if (!table.TryGetNumber(hold.Name, out var nr) || denied.Contains(nr)) continue;
            if (hold.When is null) holds[(uint)nr] = null;
            else if (!holds.TryGetValue((uint)nr, out var conditions)) holds[(uint)nr] = [hold.When];
            else conditions?.Add(hold.When);
        }
        var holdTargets = new Dictionary<uint, BpfEmitter.Label>();
        // Where a call goes once nothing else refuses it: the supervisor, when held (for its arguments), else allowed.
        BpfEmitter.Label Held(uint nr)
        {
            if (!holds.TryGetValue(nr, out var conditions)) return allow;
            if (conditions is null) return notify;
            if (!holdTargets.TryGetValue(nr, out var target))
                holdTargets[nr] = target = ArgumentMatch.Any([.. conditions]).Emit(e, notify, allow);
            return target;
        }
        var refusals = new Dictionary<uint, List<RefusedCall>>();
        foreach (var refusal in refused ?? [])
        {
            if (!table.TryGetNumber(refusal.Name, out var nr) || denied.Contains(nr)) continue;
            if (refusals.TryGetValue((uint)nr, out var ofNr)) ofNr.Add(refusal);
            else refusals[(uint)nr] = [refusal];
        }
        var passTargets = new Dictionary<uint, BpfEmitter.Label>();
        BpfEmitter.Label Pass(uint nr)
        {
            if (!refusals.TryGetValue(nr, out var refusalsOfNr)) return Held(nr);
            if (!passTargets.TryGetValue(nr, out var target))
            {
                target = Held(nr);
                foreach (var refusal in Enumerable.Reverse(refusalsOfNr)) target = refusal.When.Emit(e, e.Return(Bpf.Errno(refusal.Errno)), target);
                passTargets[nr] = target;
            }
            return target;
        }

        var special = new Dictionary<uint, BpfEmitter.Label>();
        // A syscall the policy denies outright needs no argument check.
        void AddSpecial(string name, Func<BpfEmitter.Label, BpfEmitter.Label> emit)
        {
            if (table.TryGetNumber(name, out var nr) && !denied.Contains(nr))
                special[(uint)nr] = emit(Pass((uint)nr));
        }

        AddSpecial("ioctl", pass =>
        {
            var notSti = e.JumpIfEqual(Tioclinux, eperm, pass);
            e.JumpIfEqual(Tiocsti, eperm, notSti);
            return e.Load(Bpf.ArgLow(1));
        });

        // An allow list of families and protocols: Landlock's port rules cover TCP only, so any other stream protocol
        // (MPTCP, SCTP) would reach every port, and exotic families (vsock, XDP, packet, ALG, ...) are kernel surface
        // no build or test needs. Refused families fail as if the kernel lacked them, refused protocols likewise, so
        // programs that try MPTCP first fall back to TCP.
        AddSpecial("socket", pass =>
        {
            var netlinkProtocol = e.JumpIfEqual(NetlinkRoute, pass, eprotonosupport);
            var netlink = e.Load(Bpf.ArgLow(2));

            var datagram = eacces;
            if (!denyDatagramSockets)
            {
                var protocol = e.JumpIfEqual(IpprotoIcmpV6, pass, eprotonosupport);
                protocol = e.JumpIfEqual(IpprotoIcmp, pass, protocol);
                protocol = e.JumpIfEqual(IpprotoUdp, pass, protocol);
                e.JumpIfEqual(IpprotoDefault, pass, protocol);
                datagram = e.Load(Bpf.ArgLow(2));
            }

            var streamProtocol = e.JumpIfEqual(IpprotoTcp, pass, eprotonosupport);
            e.JumpIfEqual(IpprotoDefault, pass, streamProtocol);
            var stream = e.Load(Bpf.ArgLow(2));

            var type = e.JumpIfEqual(SockDgram, datagram, eacces);
            e.JumpIfEqual(SockStream, stream, type);
            e.And(SockTypeMask);
            var inet = e.Load(Bpf.ArgLow(1));

            var family = e.JumpIfEqual(AfPacket, eacces, eafnosupport);
            family = e.JumpIfEqual(AfNetlink, netlink, family);
            family = e.JumpIfEqual(AfInet6, inet, family);
            family = e.JumpIfEqual(AfInet, inet, family);
            e.JumpIfEqual(AfUnix, pass, family);
            return e.Load(Bpf.ArgLow(0));
        });

        AddSpecial("socketpair", pass =>
        {
            e.JumpIfEqual(AfUnix, pass, eafnosupport);
            return e.Load(Bpf.ArgLow(0));
        });

        // A device node is a way around every path rule (a raw disk, /dev/kmsg past the syslog denial); FIFOs, sockets
        // and plain files stay possible. Root's CAP_MKNOD is dropped by the shim too; this also covers a supervisor
        // that is root while the child is not.
        BpfEmitter.Label RefuseDevices(int modeArgument, BpfEmitter.Label pass)
        {
            var block = e.JumpIfEqual(BlockDevice, eperm, pass);
            e.JumpIfEqual(CharacterDevice, eperm, block);
            e.And(FileTypeMask);
            return e.Load(Bpf.ArgLow(modeArgument));
        }
        AddSpecial("mknod", pass => RefuseDevices(1, pass));
        AddSpecial("mknodat", pass => RefuseDevices(2, pass));

        // clone3 passes its flags in memory BPF cannot read; ENOSYS makes libc fall back to clone.
        AddSpecial("clone3", _ => enosys);

        // A held clone still has its namespace flags refused here, before the supervisor sees it.
        AddSpecial("clone", pass =>
        {
            e.JumpIfAnySet(CloneNamespaceFlags, eperm, pass);
            return e.Load(Bpf.ArgLow(0));
        });

        // A held syscall with an argument check of its own (clone, socket, ioctl, mknod) keeps that check in the filter.
        // Loops and arrays rather than LINQ or a list of tuples: every sandboxed start builds a program; a NativeAOT
        // binary resolves each chained Select (a generic virtual method) the slow way on its first call, and a JIT
        // process compiles framework generics over value types (tuples of labels) afresh. Numbers are unique here.
        var targets = new Dictionary<uint, BpfEmitter.Label>(denied.Count + special.Count + holds.Count + refusals.Count);
        foreach (var nr in denied) targets[(uint)nr] = eperm;
        foreach (var (nr, target) in special) targets[nr] = target;
        foreach (var nr in holds.Keys)
            if (!special.ContainsKey(nr)) targets[nr] = Pass(nr);
        foreach (var nr in refusals.Keys)
            if (!special.ContainsKey(nr) && !holds.ContainsKey(nr)) targets[nr] = Pass(nr);
        var numbers = new uint[targets.Count];
        targets.Keys.CopyTo(numbers, 0);
        Array.Sort(numbers);
        var cases = new BpfEmitter.Label[numbers.Length];
        for (var i = 0; i < numbers.Length; i++) cases[i] = targets[numbers[i]];
        var dispatch = SyscallDispatch.Emit(e, numbers, cases, allow);

        if (table.AuditArch == AuditArchX86_64)
        {
            // x32 syscalls report the x86_64 arch with this bit set and would slip past the x86_64 numbers.
            e.JumpIfGreaterOrEqual(X32SyscallBit, eperm, dispatch);
        }
        e.Load(Bpf.OffsetNr);

        // Numbers mean different syscalls on other arches, so a foreign ABI cannot be filtered by this table.
        e.JumpIfEqual(table.AuditArch, e.Next, kill);
        e.Load(Bpf.OffsetArch);

        return e.ToArray();
    }

    /// <summary>
    /// The numbers denied outright on <paramref name="table"/>'s architecture, unordered (the filter sorts its cases). A
    /// HashSet of int: a SortedSet of uint had its code JIT-compiled in every process that built a filter (~45 methods;
    /// ReadyToRun images hold none for it).
    /// </summary>
    internal static HashSet<int> DeniedNumbers(SandboxPolicy policy, SyscallTable table)
    {
        foreach (var group in policy.ExtraAllowSyscalls)
        {
            if (!SyscallGroups.IsKnown(group))
                throw new ArgumentException($"unknown syscall group '{group}': expected one of {string.Join(", ", SyscallGroups.Names)}", nameof(policy));
        }

        var numbers = new HashSet<int>();
        void Deny(string name)
        {
            if (table.TryGetNumber(name, out var nr)) numbers.Add(nr);
        }
        foreach (var syscall in DefaultDenyList.Syscalls) Deny(syscall.Name);
        foreach (var group in DefaultDenyList.Groups)
        {
            if (policy.ExtraAllowSyscalls.Contains(group, StringComparer.Ordinal)) continue;
            foreach (var name in SyscallGroups.Members(group)) Deny(name);
        }
        foreach (var name in policy.ExtraDenySyscalls)
        {
            if (!table.TryGetNumber(name, out var nr))
                throw new ArgumentException($"unknown syscall name '{name}' for {table.Architecture}", nameof(policy));
            numbers.Add(nr);
        }
        return numbers;
    }
}
