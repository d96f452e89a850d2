using Sandlock.Confinement;
using Sandlock.Confinement.Landlock;
using Sandlock.Confinement.Seccomp;
using Sandlock.Interop;
using Sandlock.Policy;
using Sandlock.Supervision;
using Sandlock.Supervision.Dynamic;
using Sandlock.Supervision.Views;
using Network = Sandlock.Supervision.Network;

namespace Sandlock.Lifecycle;

/// <summary>
/// The kernel-level restrictions one spawn applies, decided from a policy and what the kernel can do.
/// Planning fails (fail closed) when the policy needs a protection the kernel lacks and the policy did not waive it.
/// </summary>
internal sealed record ConfinementPlan(
    int LandlockAbi,
    FsAccess HandledFs,
    NetAccess HandledNet,
    ScopeAccess Scopes,
    IReadOnlyList<FsRule> FsRules,
    IReadOnlyList<ushort> ConnectPorts,
    IReadOnlyList<ushort> BindPorts,
    SockFilter[] SeccompFilter,
    IReadOnlyList<string> Degraded,
    SupervisionPlan? Supervised = null,
    uint SeccompFlags = 0,
    ProcessCountLimit? ProcessLimit = null) : ILandlockRestriction
{
    // The program depends on the policy alone, and policies are immutable: compile once per policy.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SandboxPolicy, SockFilter[]> CompiledFilters = new();

    private const uint SeccompFilterFlagWaitKillableRecv = 1 << 5;

    public bool UsesLandlock => HandledFs != FsAccess.None || HandledNet != NetAccess.None || Scopes != ScopeAccess.None;

    public static ConfinementPlan Create(SandboxPolicy policy) => Create(policy, KernelFeatures.Current);

    public static ConfinementPlan Create(SandboxPolicy policy, KernelFeatures kernel, IReadOnlyList<SyscallHandler>? customHandlers = null,
        PolicyCallback? callback = null)
    {
        var abi = kernel.LandlockAbi;
        var degraded = new List<string>();

        bool Wanted(Protection p) => !policy.Disabled.Contains(p);

        void Require(Protection p, int neededAbi)
        {
            if (abi >= neededAbi) return;
            if (policy.AllowDegraded.Contains(p)) { degraded.Add(p.Name()); return; }
            var have = abi == 0 ? "has no Landlock (not built in, or not in the lsm= boot list)" : $"has Landlock ABI {abi}";
            throw new SandboxSetupException(SetupFailure.Sandbox,
                $"this kernel ({kernel.KernelRelease}) {have}; {p.Name()} needs ABI {neededAbi}. " +
                $"Use --allow-degraded {p.Name()} to run without it, or --disable {p.Name()}");
        }

        var handledFs = FsAccess.None;
        IReadOnlyList<FsRule> fsRules = [];
        if (policy.ConfinesFilesystem && Wanted(Protection.LandlockFs))
        {
            Require(Protection.LandlockFs, 1);
            if (Wanted(Protection.LandlockFsTruncate)) Require(Protection.LandlockFsTruncate, 3);
            if (Wanted(Protection.LandlockFsIoctlDev)) Require(Protection.LandlockFsIoctlDev, 5);
            handledFs = LandlockAbiRights.FsAccessFor(abi);
            if (!Wanted(Protection.LandlockFsTruncate)) handledFs &= ~FsAccess.Truncate;
            if (!Wanted(Protection.LandlockFsIoctlDev)) handledFs &= ~FsAccess.IoctlDev;
            // ABI 1 always refuses cross-directory renames; that is stricter, not weaker, so it is not a degradation.
            if (!Wanted(Protection.LandlockFsRefer)) handledFs &= ~FsAccess.Refer;
            fsRules = handledFs == FsAccess.None ? [] : FsRulePlanner.Plan(policy, ProcView.AppliesTo(policy, kernel));
        }

        // Without Landlock the child could write the workdir itself, past its copy-on-write layer.
        if (policy.Workdir is not null && (handledFs & FsAccess.Write & ~FsAccess.Read) == FsAccess.None)
            throw new SandboxSetupException(SetupFailure.Sandbox,
                $"workdir needs Landlock's filesystem rules to keep {policy.Workdir} read-only for the command, and they are "
                + (Wanted(Protection.LandlockFs) ? $"not available on this kernel ({kernel.KernelRelease})" : "disabled"));
        var supervision = SupervisionPlan.For(policy, kernel, customHandlers, callback, handledFs == FsAccess.None ? null : fsRules);
        var handledNet = NetAccess.None;
        ushort[] connect = [], bind = [];
        if (Wanted(Protection.LandlockNet))
        {
            Require(Protection.LandlockNet, 4);
            handledNet = LandlockAbiRights.NetAccessFor(abi);
            // The supervisor connects on the child's behalf, so the child's own connects never reach Landlock.
            if (supervision?.Network is not null) handledNet &= ~NetAccess.ConnectTcp;
            // "*:*" allows every port; Landlock can only list ports, so connect is then left unhandled.
            if (policy.NetAllow.Any(r => r.AnyHost && r.AnyPort && r.Protocol == NetProtocol.Tcp)) handledNet &= ~NetAccess.ConnectTcp;
            if (handledNet.HasFlag(NetAccess.ConnectTcp))
            {
                var connectPorts = new PortSet();
                foreach (var rule in policy.NetAllow) connectPorts.Add(rule.Ports);
                foreach (var rule in policy.NetDeny) connectPorts.Remove(rule.Ports);
                connect = connectPorts.ToSortedArray();
            }
            var bindPorts = new PortSet();
            bindPorts.Add(policy.NetBind);
            bindPorts.Remove(policy.NetDenyBind);
            bind = bindPorts.ToSortedArray();
        }

        var scopes = ScopeAccess.None;
        if (Wanted(Protection.LandlockScopeAbstractUnix)) { Require(Protection.LandlockScopeAbstractUnix, 6); scopes |= LandlockAbiRights.ScopesFor(abi) & ScopeAccess.AbstractUnixSocket; }
        if (Wanted(Protection.LandlockScopeSignal)) { Require(Protection.LandlockScopeSignal, 6); scopes |= LandlockAbiRights.ScopesFor(abi) & ScopeAccess.Signal; }

        SockFilter[] filter = [];
        if (Wanted(Protection.Seccomp))
        {
            if (!kernel.SeccompFilter)
            {
                if (!policy.AllowDegraded.Contains(Protection.Seccomp))
                    throw new SandboxSetupException(SetupFailure.Sandbox,
                        $"this kernel ({kernel.KernelRelease}) has no seccomp filter support; use --allow-degraded seccomp to run without the syscall deny list");
                degraded.Add(Protection.Seccomp.Name());
            }
            else
            {
                IReadOnlyCollection<HeldSyscall> held = supervision?.Holds ?? [];
                // Custom handlers and callbacks change what is held, so only policy-derived programs are cached.
                var refused = SupervisionPlan.FilterRefusals(policy, kernel);
                SockFilter[] Compile(SandboxPolicy p) => SeccompProgram.Build(p, SyscallTable.Current, !Network.NetworkRules.AllowsDatagrams(p), held, refused);
                filter = customHandlers is { Count: > 0 } || callback is not null ? Compile(policy) : CompiledFilters.GetValue(policy, Compile);
            }
        }

        if (supervision is not null && filter.Length == 0)
            throw new SandboxSetupException(SetupFailure.Sandbox, "the supervisor needs the seccomp filter, which is disabled or missing");
        // With a supervisor, a held call it has received is interrupted only by a fatal signal (kernels that know how).
        var seccompFlags = supervision is not null && kernel.SeccompWaitKillable ? SeccompFilterFlagWaitKillableRecv : 0;
        var processLimit = policy.MaxProcesses is { } max ? ProcessCountLimit.Plan(max, kernel) : null;
        return new ConfinementPlan(abi, handledFs, handledNet, scopes, fsRules, connect, bind, filter, degraded, supervision, seccompFlags, processLimit);
    }
}
