using Sandlock.Interop;

namespace Sandlock.Confinement;

/// <summary>What the running kernel can enforce, probed once per process.</summary>
public sealed record KernelFeatures(int LandlockAbi, bool SeccompFilter, bool SeccompUserNotification, string KernelRelease)
{
    /// <summary>SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19): a held call, once received, ignores non-fatal signals.</summary>
    public bool SeccompWaitKillable => AtLeast(5, 19);

    /// <summary>SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6): the supervisor is woken on the caller's CPU.</summary>
    public bool SeccompSyncWakeUp => AtLeast(6, 6);

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
        var release = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "unknown";
        // Seccomp_filters appears in /proc/self/status only on kernels built with seccomp filter support.
        var status = File.Exists("/proc/self/status") ? File.ReadAllText("/proc/self/status") : "";
        var seccomp = status.Contains("Seccomp_filters:", StringComparison.Ordinal);
        var actions = File.Exists("/proc/sys/kernel/seccomp/actions_avail") ? File.ReadAllText("/proc/sys/kernel/seccomp/actions_avail") : "";
        return new KernelFeatures(LandlockSyscalls.AbiVersion(), seccomp, actions.Contains("user_notif", StringComparison.Ordinal), release);
    }
}
