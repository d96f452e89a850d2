using Sandlock.Interop;

namespace Sandlock.Confinement;

/// <summary>What the running kernel can enforce, probed once per process.</summary>
public sealed record KernelFeatures(int LandlockAbi, bool SeccompFilter, bool SeccompUserNotification, string KernelRelease)
{
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
