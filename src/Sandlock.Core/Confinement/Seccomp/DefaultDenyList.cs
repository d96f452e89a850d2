using Sandlock.Interop;

namespace Sandlock.Confinement.Seccomp;

/// <summary>A syscall every sandbox denies, and why.</summary>
internal readonly record struct DeniedSyscall(string Name, string Reason);

/// <summary>
/// The syscalls the seccomp filter denies unless the policy says otherwise. Names an architecture lacks are skipped
/// when the filter is built.
/// </summary>
internal static class DefaultDenyList
{
    public static IReadOnlyList<DeniedSyscall> Syscalls { get; } =
    [
        // Namespaces and mounts: a sandboxed process must not build its own view of the system.
        new("unshare", "creates namespaces that can escape Landlock and resource limits"),
        new("setns", "joins another process's namespaces"),
        new("mount", "changes the mount table"),
        new("umount2", "removes mounts that hide or protect paths"),
        new("pivot_root", "swaps the root filesystem"),
        new("chroot", "changes the root directory, a classic escape ingredient"),
        new("move_mount", "new mount API: moves mounts"),
        new("open_tree", "new mount API: clones mount trees"),
        new("open_tree_attr", "new mount API: clones mount trees with attributes"),
        new("fsopen", "new mount API: creates filesystem contexts"),
        new("fsconfig", "new mount API: configures filesystem contexts"),
        new("fsmount", "new mount API: creates mounts"),
        new("fspick", "new mount API: reconfigures existing mounts"),
        new("mount_setattr", "changes mount attributes such as read-only"),

        // Other processes: inspecting or steering them bypasses the sandbox boundary.
        new("ptrace", "controls and reads other processes"),
        new("process_vm_readv", "reads another process's memory"),
        new("process_vm_writev", "writes another process's memory"),
        new("kcmp", "compares kernel objects of other processes, leaking information"),
        new("pidfd_getfd", "steals file descriptors from another process"),

        // Kernel attack surface that sandboxed code has no business touching.
        new("bpf", "loads eBPF programs, a large kernel attack surface"),
        new("perf_event_open", "profiles the system and is a frequent exploit vector"),
        new("add_key", "kernel keyring is not namespaced"),
        new("request_key", "kernel keyring is not namespaced"),
        new("keyctl", "kernel keyring is not namespaced"),
        new("io_uring_setup", "io_uring performs syscalls seccomp cannot see"),
        new("io_uring_enter", "io_uring performs syscalls seccomp cannot see"),
        new("io_uring_register", "io_uring performs syscalls seccomp cannot see"),
        new("userfaultfd", "stalls kernel page faults, a common exploit primitive"),
        new("lookup_dcookie", "resolves kernel directory cookies, privileged profiling interface"),
        new("name_to_handle_at", "file handles bypass path-based access checks"),
        new("open_by_handle_at", "opens files by handle, bypassing path-based confinement"),
        new("fanotify_init", "watches filesystem activity system-wide"),
        new("nfsservctl", "legacy NFS server control"),

        // Machine administration.
        new("init_module", "loads kernel modules"),
        new("finit_module", "loads kernel modules"),
        new("delete_module", "unloads kernel modules"),
        new("kexec_load", "replaces the running kernel"),
        new("kexec_file_load", "replaces the running kernel"),
        new("reboot", "reboots or halts the machine"),
        new("swapon", "changes system swap"),
        new("swapoff", "changes system swap"),
        new("acct", "switches process accounting for the whole system"),
        new("quotactl", "changes disk quotas"),
        new("quotactl_fd", "changes disk quotas"),
        new("settimeofday", "sets the system clock"),
        new("clock_settime", "sets the system clock"),
        new("clock_adjtime", "adjusts the system clock"),
        new("adjtimex", "adjusts the system clock"),
        new("sethostname", "renames the host"),
        new("setdomainname", "renames the NIS domain"),
        new("syslog", "reads or clears the kernel log, which leaks kernel addresses"),
        new("vhangup", "hangs up the controlling terminal"),
        new("iopl", "raises I/O privilege level (x86 only)"),
        new("ioperm", "grants raw I/O port access (x86 only)"),
    ];

    /// <summary>Groups from <see cref="SyscallGroups"/> denied unless the policy re-allows them.</summary>
    public static IReadOnlyList<string> Groups { get; } = ["sysv_ipc"];
}
