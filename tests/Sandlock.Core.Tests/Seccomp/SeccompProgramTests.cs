using Sandlock.Interop;
using Sandlock.Confinement.Seccomp;
using Sandlock.Policy;

using static Sandlock.Tests.Seccomp.FilterActions;

namespace Sandlock.Tests.Seccomp;

public class SeccompProgramTests
{
    private const ulong AfUnix = 1, AfInet = 2, AfInet6 = 10, AfPacket = 17;
    private const ulong SockStream = 1, SockDgram = 2, SockRaw = 3, SockCloexec = 0x80000;


    private static (SockFilter[] Program, SyscallTable Table) Build(string arch, SandboxPolicy? policy = null)
    {
        var table = Table(arch);
        return (SeccompProgram.Build(policy ?? new SandboxPolicy(), table), table);
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Denies_dangerous_syscalls_with_eperm(string arch)
    {
        var (program, table) = Build(arch);
        foreach (var name in new[] { "ptrace", "mount", "bpf", "io_uring_setup", "unshare", "keyctl", "open_tree_attr" })
            Assert.Equal(Eperm, Run(program, table, name));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Denies_every_default_deny_entry_present_on_the_arch(string arch)
    {
        var (program, table) = Build(arch);
        foreach (var entry in DefaultDenyList.Syscalls.Where(s => table.Contains(s.Name)))
            Assert.True(Eperm == Run(program, table, entry.Name), $"{entry.Name} is not denied on {arch}");
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Allows_ordinary_syscalls(string arch)
    {
        var (program, table) = Build(arch);
        foreach (var name in new[] { "read", "write", "execve", "openat", "mmap", "exit_group", "personality", "statmount" })
            Assert.True(Allow == Run(program, table, name), $"{name} is not allowed on {arch}");
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Allows_every_syscall_not_denied(string arch)
    {
        var (program, table) = Build(arch);
        var denied = DefaultDenyList.Syscalls.Select(s => s.Name)
            .Concat(SyscallGroups.Members("sysv_ipc"))
            .Concat(["clone", "clone3", "socket", "socketpair", "ioctl", "mknod", "mknodat"])
            .ToHashSet();
        foreach (var (name, nr) in table.Numbers.Where(kv => !denied.Contains(kv.Key)))
            Assert.True(Allow == BpfInterpreter.Run(program, nr, table.AuditArch), $"{name} ({nr}) is not allowed on {arch}");
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Kills_on_a_foreign_arch(string arch)
    {
        var (program, table) = Build(arch);
        var foreign = arch == "x86_64" ? SyscallTable.Arm64.AuditArch : SyscallTable.X64.AuditArch;
        Assert.Equal(Kill, BpfInterpreter.Run(program, table["read"], foreign));
        Assert.Equal(Kill, BpfInterpreter.Run(program, table["read"], 0x40000003)); // i386
    }

    [Fact]
    public void Denies_x32_syscalls_on_x86_64()
    {
        var (program, table) = Build("x86_64");
        Assert.Equal(Eperm, BpfInterpreter.Run(program, 0x40000000 | table["read"], table.AuditArch));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Denies_clone_into_new_namespaces(string arch)
    {
        var (program, table) = Build(arch);
        const ulong sigchld = 17, cloneVm = 0x100, cloneFs = 0x200, cloneFiles = 0x400, cloneSighand = 0x800, cloneThread = 0x10000;
        Assert.Equal(Eperm, Run(program, table, "clone", 0x10000000 | sigchld));
        foreach (var flag in new ulong[] { 0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x80 })
            Assert.Equal(Eperm, Run(program, table, "clone", flag | sigchld));
        Assert.Equal(Allow, Run(program, table, "clone", sigchld | cloneVm));
        Assert.Equal(Allow, Run(program, table, "clone", cloneVm | cloneFs | cloneFiles | cloneSighand | cloneThread));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Makes_clone3_unavailable(string arch)
    {
        var (program, table) = Build(arch);
        Assert.Equal(Enosys, Run(program, table, "clone3"));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Refuses_datagram_raw_and_packet_sockets(string arch)
    {
        var (program, table) = Build(arch);
        Assert.Equal(Eacces, Run(program, table, "socket", AfInet, SockDgram));
        Assert.Equal(Eacces, Run(program, table, "socket", AfInet6, SockDgram | SockCloexec));
        Assert.Equal(Eacces, Run(program, table, "socket", AfInet, SockRaw, 1));
        Assert.Equal(Eacces, Run(program, table, "socket", AfPacket, SockStream));
        Assert.Equal(Allow, Run(program, table, "socket", AfInet, SockStream | SockCloexec));
        Assert.Equal(Allow, Run(program, table, "socket", AfInet6, SockStream));
        Assert.Equal(Allow, Run(program, table, "socket", AfUnix, SockDgram));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Allows_only_tcp_among_stream_protocols(string arch)
    {
        var (program, table) = Build(arch);
        const ulong mptcp = 262, sctp = 132, tcp = 6;
        Assert.Equal(Allow, Run(program, table, "socket", AfInet, SockStream, tcp));
        Assert.Equal(Allow, Run(program, table, "socket", AfInet6, SockStream | SockCloexec, tcp));
        Assert.Equal(Eprotonosupport, Run(program, table, "socket", AfInet, SockStream, mptcp));
        Assert.Equal(Eprotonosupport, Run(program, table, "socket", AfInet6, SockStream | SockCloexec, mptcp));
        Assert.Equal(Eprotonosupport, Run(program, table, "socket", AfInet, SockStream, sctp));
        Assert.Equal(Eacces, Run(program, table, "socket", AfInet, 5 /* SOCK_SEQPACKET */, sctp));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Allows_only_unix_ip_and_routing_netlink_families(string arch)
    {
        var (program, table) = Build(arch);
        const ulong afNetlink = 16, afVsock = 40, afXdp = 44, afAlg = 38, afKey = 15, afBluetooth = 31, netlinkSockDiag = 4, netlinkAudit = 9;
        Assert.Equal(Allow, Run(program, table, "socket", afNetlink, SockRaw | SockCloexec, 0));
        Assert.Equal(Eprotonosupport, Run(program, table, "socket", afNetlink, SockRaw, netlinkSockDiag));
        Assert.Equal(Eprotonosupport, Run(program, table, "socket", afNetlink, SockDgram, netlinkAudit));
        foreach (var family in new[] { afVsock, afXdp, afAlg, afKey, afBluetooth, 0UL, 45UL, 255UL })
            Assert.Equal(Eafnosupport, Run(program, table, "socket", family, SockStream));
        Assert.Equal(Allow, Run(program, table, "socketpair", AfUnix, SockStream));
        Assert.Equal(Eafnosupport, Run(program, table, "socketpair", afVsock, SockStream));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Refuses_device_nodes_but_not_fifos_sockets_or_files(string arch)
    {
        var (program, table) = Build(arch);
        const ulong chr = 0x2000 | 0x1b6, blk = 0x6000 | 0x180, fifo = 0x1000 | 0x1b6, sock = 0xC000 | 0x1b6, file = 0x8000 | 0x1a4;
        Assert.Equal(Eperm, Run(program, table, "mknodat", unchecked((ulong)-100), 0, chr, 0x10b));
        Assert.Equal(Eperm, Run(program, table, "mknodat", unchecked((ulong)-100), 0, blk, 0x800));
        foreach (var mode in new[] { fifo, sock, file })
            Assert.Equal(Allow, Run(program, table, "mknodat", unchecked((ulong)-100), 0, mode, 0));
        if (table.Contains("mknod"))
        {
            Assert.Equal(Eperm, Run(program, table, "mknod", 0, chr, 0x10b));
            Assert.Equal(Allow, Run(program, table, "mknod", 0, fifo, 0));
        }
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Datagram_denial_can_be_turned_off(string arch)
    {
        var table = Table(arch);
        var program = SeccompProgram.Build(new SandboxPolicy(), table, denyDatagramSockets: false, held: []);
        BpfInterpreter.AssertWellFormed(program);
        Assert.Equal(Allow, Run(program, table, "socket", AfInet, SockDgram));
        Assert.Equal(Allow, Run(program, table, "socket", AfInet, SockDgram, 1 /* ICMP */));
        Assert.Equal(Eprotonosupport, Run(program, table, "socket", AfInet, SockDgram, 136 /* UDP-Lite */));
        Assert.Equal(Eacces, Run(program, table, "socket", AfInet, SockRaw, 1));
        Assert.Equal(Eacces, Run(program, table, "socket", AfPacket, SockDgram));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Refuses_terminal_injection_ioctls(string arch)
    {
        var (program, table) = Build(arch);
        Assert.Equal(Eperm, Run(program, table, "ioctl", 0, 0x5412));
        Assert.Equal(Eperm, Run(program, table, "ioctl", 0, 0x541C));
        Assert.Equal(Allow, Run(program, table, "ioctl", 0, 0x5401)); // TCGETS
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Sysv_ipc_is_denied_until_re_allowed(string arch)
    {
        var (program, table) = Build(arch);
        Assert.Equal(Eperm, Run(program, table, "shmget"));
        Assert.Equal(Eperm, Run(program, table, "msgctl"));

        var (reallowed, _) = Build(arch, new SandboxPolicy { ExtraAllowSyscalls = ["sysv_ipc"] });
        Assert.Equal(Allow, Run(reallowed, table, "shmget"));
        Assert.Equal(Allow, Run(reallowed, table, "msgctl"));
        Assert.Equal(Eperm, Run(reallowed, table, "ptrace"));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Extra_deny_syscalls_are_denied(string arch)
    {
        var (program, table) = Build(arch, new SandboxPolicy { ExtraDenySyscalls = ["getpid", "socket"] });
        Assert.Equal(Eperm, Run(program, table, "getpid"));
        Assert.Equal(Eperm, Run(program, table, "socket", AfUnix, SockStream));
        Assert.Equal(Allow, Run(program, table, "getppid"));
    }

    [Fact]
    public void Unknown_names_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => SeccompProgram.Build(new SandboxPolicy { ExtraDenySyscalls = ["no_such_call"] }, SyscallTable.X64));
        // ioperm exists only on x86.
        Assert.Throws<ArgumentException>(() => SeccompProgram.Build(new SandboxPolicy { ExtraDenySyscalls = ["ioperm"] }, SyscallTable.Arm64));
        Assert.Throws<ArgumentException>(() => SeccompProgram.Build(new SandboxPolicy { ExtraAllowSyscalls = ["no_such_group"] }, SyscallTable.X64));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Program_is_well_formed(string arch)
    {
        var (program, _) = Build(arch);
        BpfInterpreter.AssertWellFormed(program);
        Assert.True(program.Length < 400, $"{program.Length} instructions");
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Program_stays_well_formed_when_every_syscall_is_denied(string arch)
    {
        var table = Table(arch);
        // Large enough that jumps to the shared exits need trampolines.
        var program = SeccompProgram.Build(new SandboxPolicy { ExtraDenySyscalls = [.. table.Numbers.Keys] }, table);
        BpfInterpreter.AssertWellFormed(program);
        Assert.Contains(program, i => i.Code == 0x05);
        foreach (var (name, nr) in table.Numbers)
            Assert.True(Eperm == BpfInterpreter.Run(program, nr, table.AuditArch), $"{name} is not denied");
        Assert.Equal(Allow, BpfInterpreter.Run(program, 1000, table.AuditArch));
    }
}
