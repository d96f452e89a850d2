using Sandlock.Interop;

namespace Sandlock.Confinement;

/// <summary>What the running kernel can enforce, probed once per process.</summary>
internal sealed record KernelFeatures(int LandlockAbi, bool SeccompFilter, bool SeccompUserNotification, string KernelRelease)
{
    /// <summary>SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19): a held call, once received, ignores non-fatal signals.</summary>
    public bool SeccompWaitKillable => AtLeast(5, 19);

    /// <summary>SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6): the supervisor is woken on the caller's CPU.</summary>
    public bool SeccompSyncWakeUp => AtLeast(6, 6);

    /// <summary>
    /// SECCOMP_ADDFD_FLAG_SEND (Linux 5.14, after openat2 in 5.6): the supervisor hands a held open the fd it opened,
    /// as a result, which fs_mount's files need.
    /// </summary>
    public bool SeccompAddFdSend => AtLeast(5, 14);

    /// <summary>RLIMIT_NPROC counted per (user namespace, uid) (Linux 5.14), so a new namespace counts only its own tasks.</summary>
    public bool PerNamespaceProcessCount => AtLeast(5, 14);

    /// <summary>Sandlock runs with effective uid 0, which RLIMIT_NPROC does not bind.</summary>
    public bool Privileged { get; init; }

    /// <summary>An unprivileged process may create a user namespace.</summary>
    public bool UnprivilegedUserNamespaces { get => _unprivilegedUserNamespaces.Value; init => _unprivilegedUserNamespaces = new(() => value); }

    // Looked up on first use: only a chroot or a process limit asks.
    private Lazy<bool> _unprivilegedUserNamespaces = new(() => false);

    /// <summary>Where a sandbox's pids cgroup can be made, when a writable pids controller is mounted.</summary>
    public PidsHierarchy? PidsCgroups { get => _pidsCgroups.Value; init => _pidsCgroups = new(() => value); }

    // Looked up on first use: reading the mount table costs every start, and only a process limit needs it.
    private Lazy<PidsHierarchy?> _pidsCgroups = new(() => null);

    private bool AtLeast(int major, int minor)
    {
        var parts = KernelRelease.Split('.', '-');
        return parts.Length >= 2 && int.TryParse(parts[0], out var a) && int.TryParse(parts[1], out var b)
               && (a > major || (a == major && b >= minor));
    }

    private static readonly Lazy<KernelFeatures> Probed = new(Probe);

    public static KernelFeatures Current => Probed.Value;

    private static KernelFeatures Probe()
    {
        // Every sandboxed start probes: system calls, not /proc files, where one answers the question.
        var release = KernelReleaseOf(SystemInfo.Uname());
        var privileged = SystemInfo.EffectiveUserId() == 0;
        var (filter, userNotification) = SeccompActions();
        return new KernelFeatures(LandlockSyscalls.AbiVersion(), filter, userNotification, release)
        {
            Privileged = privileged,
            _unprivilegedUserNamespaces = new(() => ReadNumber("/proc/sys/user/max_user_namespaces") is not 0
                                                    && ReadNumber("/proc/sys/kernel/unprivileged_userns_clone") is not 0),
            _pidsCgroups = new(() => privileged ? PidsHierarchy.Locate() : null),
        };
    }

    private static string KernelReleaseOf(byte[] utsname)
    {
        // struct utsname: sysname, nodename, release, ... each 65 bytes, NUL-terminated.
        var release = utsname.AsSpan(2 * 65, 65);
        var end = release.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(end < 0 ? release : release[..end]);
    }

    /// <summary>
    /// Whether seccomp filters, and user notification among their actions, are available: SECCOMP_GET_ACTION_AVAIL
    /// (Linux 4.14) answers both; where it cannot (an older kernel, or a filter of an outer sandbox refusing the
    /// call) /proc says the same.
    /// </summary>
    private static (bool Filter, bool UserNotification) SeccompActions()
    {
        if (SeccompSyscalls.ActionAvailable(SeccompSyscalls.RetErrno) is { } filter)
            return (filter, filter && SeccompSyscalls.ActionAvailable(SeccompSyscalls.RetUserNotif) == true);
        // Seccomp_filters appears in /proc/self/status only on kernels built with seccomp filter support.
        var status = ReadSmallFile("/proc/self/status") ?? "";
        var actions = ReadSmallFile("/proc/sys/kernel/seccomp/actions_avail") ?? "";
        return (status.Contains("Seccomp_filters:", StringComparison.Ordinal), actions.Contains("user_notif", StringComparison.Ordinal));
    }

    /// <summary>A sysctl's number; null when the file does not exist on this kernel.</summary>
    private static long? ReadNumber(string path) =>
        ReadSmallFile(path) is { } text && long.TryParse(text.Trim(), out var n) ? n : null;

    /// <summary>
    /// A /proc file's text (at most 8 KiB), or null when it cannot be read: pread into the stack, no stream, reader
    /// or buffers, since every sandboxed start probes these.
    /// </summary>
    private static string? ReadSmallFile(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path);
            Span<byte> buffer = stackalloc byte[8192];
            var length = 0;
            int n;
            while (length < buffer.Length && (n = RandomAccess.Read(handle, buffer[length..], length)) > 0) length += n;
            return System.Text.Encoding.UTF8.GetString(buffer[..length]);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
