namespace Sandlock.Confinement;

/// <summary>How the kernel counts and caps a sandbox's tasks for max_processes.</summary>
internal enum ProcessCountMechanism
{
    /// <summary>
    /// The sandbox gets a user namespace of its own and RLIMIT_NPROC: since Linux 5.14 the kernel counts that limit
    /// per (user namespace, uid), so only the sandbox's tasks count. Not for root, whom RLIMIT_NPROC does not bind.
    /// </summary>
    UserNamespaceRlimit,

    /// <summary>The sandbox runs in a cgroup of its own with pids.max (root only: cgroups are not ours otherwise).</summary>
    PidsCgroup,
}

/// <summary>max_processes as planned: the limit and the kernel mechanism that enforces it.</summary>
internal sealed record ProcessCountLimit(int Max, ProcessCountMechanism Mechanism, PidsHierarchy? Cgroups)
{
    /// <summary>The mechanism for this kernel and user; fails closed naming what is missing.</summary>
    public static ProcessCountLimit Plan(int max, KernelFeatures kernel) => Choose(kernel) switch
    {
        (ProcessCountMechanism mechanism, _) => new ProcessCountLimit(max, mechanism, kernel.PidsCgroups),
        (null, var missing) => throw new SandboxSetupException(SetupFailure.Sandbox,
            $"max_processes cannot be enforced: this kernel ({kernel.KernelRelease}) or system lacks {missing}"),
    };

    /// <summary>What max_processes would use here, for <c>sandlock check</c>.</summary>
    public static string Describe(KernelFeatures kernel) => Choose(kernel) switch
    {
        (ProcessCountMechanism.PidsCgroup, _) => $"a pids cgroup under {kernel.PidsCgroups!.Parent} (cgroup v{(kernel.PidsCgroups.Version2 ? 2 : 1)})",
        (ProcessCountMechanism.UserNamespaceRlimit, _) => "a user namespace with RLIMIT_NPROC",
        (_, var missing) => $"unavailable: needs {missing}",
    };

    private static (ProcessCountMechanism?, string Missing) Choose(KernelFeatures kernel)
    {
        if (kernel.Privileged)
            return kernel.PidsCgroups is not null
                ? (ProcessCountMechanism.PidsCgroup, "")
                : (null, "a writable cgroup hierarchy with the pids controller (needed when running as root, which RLIMIT_NPROC does not bind)");
        if (!kernel.PerNamespaceProcessCount)
            return (null, "per-user-namespace RLIMIT_NPROC accounting (Linux 5.14)");
        return kernel.UnprivilegedUserNamespaces
            ? (ProcessCountMechanism.UserNamespaceRlimit, "")
            : (null, "unprivileged user namespaces (user.max_user_namespaces is 0 or kernel.unprivileged_userns_clone is 0)");
    }
}
