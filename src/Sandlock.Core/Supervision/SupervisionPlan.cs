using Sandlock.Interop;
using Sandlock.Confinement;
using Sandlock.Confinement.Landlock;
using Sandlock.Confinement.Seccomp;
using Sandlock.Policy;
using Sandlock.Supervision.Network;

namespace Sandlock.Supervision;

/// <summary>What the supervisor must do for a policy: which handlers, hence which syscalls the filter holds.</summary>
internal sealed class SupervisionPlan
{
    private readonly IReadOnlyList<SyscallHandler> _handlers;

    private SupervisionPlan(IReadOnlyList<SyscallHandler> handlers, NetworkRules? network)
    {
        _handlers = handlers;
        Network = network;
        Holds = [.. handlers.SelectMany(h => h.Syscalls.Select(name => new HeldSyscall(name, h.WantedWhen.GetValueOrDefault(name)))).Distinct()];
        HeldSyscalls = [.. Holds.Select(h => h.Name).Distinct()];
    }

    public IReadOnlyList<string> HeldSyscalls { get; }

    /// <summary>What the filter holds, with the argument conditions of syscalls held only for some calls.</summary>
    public IReadOnlyList<HeldSyscall> Holds { get; }

    /// <summary>The network rules, when the supervisor checks destinations (Landlock then handles only bind).</summary>
    public NetworkRules? Network { get; }

    /// <summary>The handler that checks destinations, which a live session narrows for commands already running.</summary>
    internal NetworkGate? Gate => _handlers.OfType<NetworkGate>().FirstOrDefault();

    /// <summary>
    /// Null only when no supervisor can run (<c>--no-supervisor</c>, no seccomp, a kernel without user notification)
    /// and the policy needs none; <see cref="FilterRefusals"/> then says what the filter refuses in its stead.
    /// </summary>
    // fsRules: the Landlock rules the ruleset is built from, when planned already; recorded denials are then checked
    // against those very rules instead of a second plan (which lists carved folders again).
    public static SupervisionPlan? For(SandboxPolicy policy, KernelFeatures kernel, IReadOnlyList<SyscallHandler>? custom = null,
        PolicyCallback? callback = null, IReadOnlyList<FsRule>? fsRules = null)
    {
        var handlers = new List<SyscallHandler>();
        NetworkRules? network = null;
        var needs = new List<string>();
        var virtualFiles = new Dictionary<string, VirtualFile>(StringComparer.Ordinal);
        var dynamic = callback is null ? null : new Dynamic.PolicyCallbackHandler(callback);
        if (dynamic is not null) needs.Add("a policy callback");
        // Binds are done on the child's behalf, outside Landlock: the bind ports are checked unless landlock-net is off.
        var remap = policy.PortRemap
            ? new PortRemap(policy.Disabled.Contains(Protection.LandlockNet) ? null : new BindRules(policy.NetBind, policy.NetDenyBind))
            : null;
        if (remap is not null) needs.Add("port_remap");
        var http = Http.HttpInterception.For(policy);
        if (http is not null)
        {
            needs.Add("HTTP rules");
            foreach (var (path, file) in http.TrustFiles()) virtualFiles[path] = file;
            // Before the remapped names, which would otherwise answer for the proxy's address.
            handlers.AddRange(http.Handlers);
        }
        // The callback sees destinations through the gate, which connects on the child's behalf once both agree.
        if (NetworkRules.NeedsSupervisor(policy) || dynamic is not null || remap is not null)
        {
            if (NetworkRules.NeedsSupervisor(policy)) needs.Add("host, address, CIDR, UDP and ICMP network rules");
            network = NetworkRules.Compile(policy);
            handlers.Add(new NetworkGate(network, dynamic, remap, http));
            if (http is not null) http.PinnedHosts = network.PinnedHosts;
            if (network.PinnedHosts.Count > 0)
                virtualFiles["/etc/hosts"] = new VirtualFile("etc-hosts", System.Text.Encoding.UTF8.GetBytes(HostsFile.Render(network.PinnedHosts)));
        }
        if (policy.RandomSeed is { } seed)
        {
            needs.Add("random_seed");
            handlers.Add(new Determinism.SeededGetrandom(new Determinism.SeededBytes(seed, "getrandom")));
            // Before the virtual clock, which answers the time calls that seed nothing; x86_64 code is what it reads.
            if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
                handlers.Add(new Determinism.ClockSeededGenerators(new Determinism.SeededBytes(seed, "clock seed")));
            // Each open of either device reads the same seeded stream from its start, without end.
            var device = new VirtualFile("dev-urandom", seed, "urandom");
            virtualFiles["/dev/urandom"] = device;
            virtualFiles["/dev/random"] = device;
        }
        if (Time.VirtualTime.HandlersFor(policy) is { Count: > 0 } timeHandlers)
        {
            if (policy.TimeStart is not null) needs.Add("time_start");
            handlers.AddRange(timeHandlers);
        }
        if (policy.Uid is not null || policy.Gid is not null)
        {
            needs.Add("uid/gid");
            handlers.Add(new VirtualIdentity(policy.Uid, policy.Gid));
        }
        var workspace = Workspaces.WorkspacePlan.For(policy, kernel);
        if (workspace is not null) needs.Add("workdir");
        if (policy.DeterministicDirs || !policy.FsMounts.IsEmpty || workspace is not null)
        {
            if (policy.DeterministicDirs) needs.Add("deterministic_dirs");
            var mountPoints = policy.FsMounts.IsEmpty ? null : new Mounts.MountPointEntries(ChildRoot.Canonical(policy));
            handlers.Add(new Views.DirectoryListings(policy.DeterministicDirs, mountPoints is null ? null : mountPoints.In, workspace is null ? null : workspace.Files.Listing));
        }
        // Builtin redirects come before the callback, which then sees only the opens that reach the real files.
        if (virtualFiles.Count > 0) handlers.Add(new VirtualFileRedirect(virtualFiles));
        if (dynamic is not null) handlers.Add(dynamic);
        // After the callback, which sees the paths as the child named them, before a mount's path is pointed elsewhere.
        if (!policy.FsMounts.IsEmpty)
        {
            if (!kernel.SeccompAddFdSend)
                throw new SandboxSetupException(SetupFailure.Sandbox,
                    $"fs_mount needs SECCOMP_ADDFD_FLAG_SEND and openat2 (Linux 5.14), which this kernel ({kernel.KernelRelease}) lacks");
            needs.Add("fs_mount");
            handlers.Add(new Mounts.MountedFolders(policy));
        }
        // Where a mount's would be: after the callback, which sees the paths as the child named them.
        if (workspace is not null) handlers.AddRange(workspace.Handlers);
        // After the callback, which sees the bind (with the virtual port) first.
        if (remap is not null) handlers.AddRange(remap.Handlers);
        // After the callback, which may still refuse a /proc path before the view serves it.
        if (Views.ProcView.AppliesTo(policy, kernel))
        {
            needs.Add("the /proc view");
            handlers.Add(Views.ProcView.For(policy));
        }
        if (policy.Name is { } hostname)
        {
            needs.Add("the sandbox name as hostname");
            handlers.Add(new VirtualHostname(hostname));
        }
        // Observers record for `sandlock learn` and let every call continue: first, so they see what later handlers answer.
        var observers = custom?.OfType<Learning.ObservingHandler>().ToList() ?? [];
        if (observers.Count > 0) needs.Add("sandlock learn");
        custom = custom?.Where(h => h is not Learning.ObservingHandler).ToList();
        if (custom is { Count: > 0 })
        {
            needs.Add("custom syscall handlers");
            var denied = SeccompProgram.DeniedNumbers(policy, SyscallTable.Current);
            foreach (var name in custom.SelectMany(h => h.Syscalls))
            {
                if (!SyscallTable.Current.TryGetNumber(name, out var nr))
                    throw new SandboxSetupException(SetupFailure.Sandbox, $"custom handler: unknown syscall '{name}' for {SyscallTable.Current.Architecture}");
                if (denied.Contains(nr))
                    throw new SandboxSetupException(SetupFailure.Sandbox, $"custom handler: {name} is denied by the policy and cannot be handled");
            }
            // Run after the builtin handlers, which enforce the static policy first.
            handlers.AddRange(custom);
        }
        // Gaps no kernel rule closes, guarded whenever a supervisor can run; --no-supervisor (or no seccomp) gives them
        // up, and the filter refuses instead where it can (see FilterRefusals).
        if (GuardsGaps(policy, kernel))
        {
            handlers.Add(new Processes.ProcessTargets());
            if (ConfinesUnixSockets(policy)) handlers.Add(new UnixSocketPaths(policy, AbstractSocketsScoped(policy, kernel), fsRules));
            if (!policy.Disabled.Contains(Protection.LandlockNet)) handlers.Add(new UnboundListen());
            if (!policy.Disabled.Contains(Protection.LandlockFs) && kernel.LandlockAbi >= 1 && policy.ConfinesFilesystem
                && ListedFolders(policy, kernel) is { Count: > 0 } listed)
                handlers.Add(new Views.CarvedFolders(listed));
        }
        // Last: every handler before it that serves a path itself (the /proc view, carved listings, redirects) has.
        if (policy.RecordFilesystemDenials && policy.ConfinesFilesystem && !policy.Disabled.Contains(Protection.LandlockFs)
            && kernel.LandlockAbi >= 1 && policy.FsMounts.IsEmpty && policy.Workdir is null)
        {
            needs.Add("record_filesystem_denials");
            handlers.Add(new Files.FilesystemDenials(policy, HandledFilesystemRights(policy, kernel), Views.ProcView.AppliesTo(policy, kernel), fsRules));
        }
        handlers.InsertRange(0, observers);
        if (handlers.Count == 0) return null;
        // Any supervised sandbox keeps track of the groups and sessions its processes make, so none outlives it.
        handlers.Insert(0, new Lifetime.ProcessGroupTracker());
        if (policy.NoSupervisor && needs.Count > 0)
            throw new SandboxSetupException(SetupFailure.Sandbox, $"{string.Join(" and ", needs)} need the supervisor, which --no-supervisor turns off");
        if (!kernel.SeccompUserNotification && needs.Count > 0)
            throw new SandboxSetupException(SetupFailure.Sandbox,
                $"{string.Join(" and ", needs)} need seccomp user notification, which this kernel ({kernel.KernelRelease}) lacks");
        return new SupervisionPlan(handlers, network);
    }

    /// <summary>The folders the supervisor lists for the child: those carving took a read rule from, and the list-only ones.</summary>
    private static IReadOnlyCollection<string> ListedFolders(SandboxPolicy policy, KernelFeatures kernel)
    {
        var carved = FsRulePlanner.CarvedReadFolders(policy, Views.ProcView.AppliesTo(policy, kernel));
        if (policy.FsListable.IsEmpty || policy.Chroot is not null || !policy.FsMounts.IsEmpty) return carved;
        var listed = new HashSet<string>(carved, StringComparer.Ordinal);
        foreach (var folder in policy.FsListable) listed.Add(Policy.ChrootPaths.Normalize(folder));
        return listed;
    }

    /// <summary>The rights the ruleset handles, as ConfinementPlan sets them.</summary>
    private static FsAccess HandledFilesystemRights(SandboxPolicy policy, KernelFeatures kernel)
    {
        var handled = LandlockAbiRights.FsAccessFor(kernel.LandlockAbi);
        if (policy.Disabled.Contains(Protection.LandlockFsTruncate)) handled &= ~FsAccess.Truncate;
        if (policy.Disabled.Contains(Protection.LandlockFsIoctlDev)) handled &= ~FsAccess.IoctlDev;
        if (policy.Disabled.Contains(Protection.LandlockFsRefer)) handled &= ~FsAccess.Refer;
        return handled;
    }

    private static bool GuardsGaps(SandboxPolicy policy, KernelFeatures kernel) =>
        !policy.NoSupervisor && kernel.SeccompUserNotification && !policy.Disabled.Contains(Protection.Seccomp);

    /// <summary>Unix sockets by path follow the filesystem rules: confined when they are.</summary>
    private static bool ConfinesUnixSockets(SandboxPolicy policy) => policy.ConfinesFilesystem && !policy.Disabled.Contains(Protection.LandlockFs);

    private static bool AbstractSocketsScoped(SandboxPolicy policy, KernelFeatures kernel) =>
        kernel.LandlockAbi >= 6 && !policy.Disabled.Contains(Protection.LandlockScopeAbstractUnix);

    /// <summary>
    /// What the filter itself refuses: a user's every process as a target always; and, where no supervisor tells the
    /// sandbox's own processes from others, every call naming another process, and (with the filesystem confined, as a
    /// pathname connect cannot be told apart in BPF) unix sockets themselves; socketpair still works.
    /// </summary>
    public static IReadOnlyList<RefusedCall> FilterRefusals(SandboxPolicy policy, KernelFeatures kernel)
    {
        if (GuardsGaps(policy, kernel)) return Processes.ProcessTargets.AlwaysRefused;
        List<RefusedCall> refused = [.. Processes.ProcessTargets.AlwaysRefused, .. Processes.ProcessTargets.WithoutSupervisor];
        if (ConfinesUnixSockets(policy)) refused.Add(new RefusedCall("socket", ArgumentMatch.OneOf(0, (uint)Interop.SocketCalls.AF_UNIX), Errno.EACCES));
        return refused;
    }

    private SupervisedSession.HandlerTable? _table;

    /// <summary>Which handlers hold which syscall: made by the first session, or ahead of it by a provisioned session.</summary>
    private SupervisedSession.HandlerTable Table => _table ??= SupervisedSession.HandlerTable.Of(_handlers, SyscallTable.Current);

    public SupervisedSession CreateSession() => new(Table);

    /// <summary>Makes the handler table now, so that a session's first command does not.</summary>
    public void MakeHandlerTable() => _ = Table;
}
