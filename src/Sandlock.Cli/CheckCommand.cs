using System.CommandLine;
using Sandlock.Confinement;
using Sandlock.Confinement.Landlock;

namespace Sandlock.Cli;

/// <summary><c>sandlock check</c>: what this kernel can enforce, and what each protection needs.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var command = new Command("check", "Show what this kernel can enforce");
        command.SetAction(_ => Print(KernelFeatures.Current));
        return command;
    }

    private static int Print(KernelFeatures k)
    {
        Console.WriteLine($"kernel: {k.KernelRelease}");
        Console.WriteLine($"landlock: {(k.LandlockAbi == 0 ? "not available" : $"ABI {k.LandlockAbi}")}");
        Row("filesystem read/write rules", k.LandlockAbi >= 1, "Landlock ABI 1 (Linux 5.13)");
        Row("rename/link across directories (refer)", k.LandlockAbi >= 2, "Landlock ABI 2 (Linux 5.19)");
        Row("truncate control", k.LandlockAbi >= 3, "Landlock ABI 3 (Linux 6.2)");
        Row("TCP bind/connect ports", k.LandlockAbi >= 4, "Landlock ABI 4 (Linux 6.7)");
        Row("device ioctl control", k.LandlockAbi >= 5, "Landlock ABI 5 (Linux 6.10)");
        Row("abstract unix socket and signal scoping", k.LandlockAbi >= 6, "Landlock ABI 6 (Linux 6.12)");
        Row("seccomp-bpf syscall deny list", k.SeccompFilter, "CONFIG_SECCOMP_FILTER");
        Row("seccomp user notification (supervisor)", k.SeccompUserNotification, "Linux 5.0 with user_notif in seccomp actions_avail");
        Row("held calls ignore non-fatal signals once received", k.SeccompWaitKillable, "Linux 5.19");
        Row("same-CPU supervisor wake-ups (fast round trips)", k.SeccompSyncWakeUp, "Linux 6.6");
        Row("fs_mount (fds handed to held opens, openat2)", k.SeccompAddFdSend, "Linux 5.14");
        Console.WriteLine($"max_processes would use: {ProcessCountLimit.Describe(k)}");
        Console.WriteLine($"filesystem rights handled at this ABI: {FsRightNames(LandlockAbiRights.FsAccessFor(k.LandlockAbi))}");
        return k.LandlockAbi >= 1 && k.SeccompFilter ? 0 : 1;
    }

    private static void Row(string protection, bool available, string needs) =>
        Console.WriteLine($"  [{(available ? "yes" : " no")}] {protection} (needs {needs})");

    // Each right by name: the enum's composite names (Write means every right) read as if only writes were handled.
    private static string FsRightNames(FsAccess rights)
    {
        var names = Enum.GetValues<FsAccess>().Where(r => r != FsAccess.None && ulong.IsPow2((ulong)r) && rights.HasFlag(r)).Select(r => r.ToString()).ToList();
        return names.Count == 0 ? "none" : rights == FsAccess.Write ? $"all ({string.Join(", ", names)})" : string.Join(", ", names);
    }
}
