using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Lifecycle.Registry;
using Sandlock.Policy;

namespace Sandlock;

/// <summary>
/// The Landlock and seccomp backend, with the seccomp-notify supervisor. Provisioning plans the confinement, compiles
/// the seccomp filter, builds the Landlock ruleset and the supervisor's handlers (host names resolved and pinned) and
/// makes the session's temp folder, and confines the first command's child ahead; each exec then only launches.
/// </summary>
/// <remarks>
/// What a change reaches. <see cref="AttachFilesystemAsync"/> and <see cref="ApplyNetworkPolicyAsync"/> take effect
/// for commands started afterwards, which get the new policy exactly, looser or tighter. A command already running
/// keeps its Landlock ruleset: the kernel lets a process only add restrictions to itself, never drop them, and only
/// the process itself can add them, so its TCP port rules (<c>:PORT</c> rules, which Landlock enforces) stay as they
/// were. The supervisor's rules are checked at each connect and send, so a running command whose network was
/// supervised (host, address, CIDR, UDP or ICMP rules) is narrowed live: each destination must then pass both the
/// rules it started with and every newer rule set; it is never loosened. A mount attached is not visible to commands
/// already running.
/// </remarks>
public sealed class LocalSandboxBackend : ISandboxBackend
{
    public const string BackendName = "local";

    public string Name => BackendName;

    public SandboxCapabilities Capabilities
    {
        get
        {
            var kernel = KernelFeatures.Current;
            return new SandboxCapabilities(
                Filesystem: kernel.LandlockAbi >= 1,
                Network: kernel.LandlockAbi >= 4 || kernel.SeccompUserNotification,
                Syscalls: kernel.SeccompFilter,
                AttachFilesystem: kernel.SeccompUserNotification && kernel.SeccompAddFdSend,
                ChangeNetwork: true,
                Suspend: true,
                Snapshot: false);
        }
    }

    public Task<SandboxSession> ProvisionAsync(SandboxPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        cancellationToken.ThrowIfCancellationRequested();
        // A policy that names its own TMPDIR (or a chroot, whose /tmp is the caller's business) keeps it.
        var temp = policy.Chroot is null && !policy.Env.ContainsKey("TMPDIR") ? ChildTempFolder.Create(ChildRoot.Host, "sandlock-session-") : null;
        try
        {
            var effective = temp is null ? policy : WithTempFolder(policy, temp.HostPath);
            var session = new LocalSession($"{BackendName}-{Guid.NewGuid():N}"[..18], ProvisionedConfinement.ForSession(effective), temp);
            // Its commands will be listed: the process's entry is made now, while the caller provisions.
            SandboxRegistry.OpenEndpoint();
            // The first command's child too is confined ahead, on the spawn thread, while the caller does other things.
            lock (session.Gate) session.PrepareNext();
            return Task.FromResult(Describe(session));
        }
        catch
        {
            temp?.TryDelete();
            throw;
        }
    }

    private static SandboxPolicy WithTempFolder(SandboxPolicy policy, string folder)
    {
        const string source = "the session's temp folder";
        var builder = policy.ToBuilder();
        if (policy.ConfinesFilesystem) builder.FsWrite(folder, source);
        foreach (var name in (string[])["TMPDIR", "TMP", "TEMP"]) builder.Env(name, folder, source);
        return builder.Build();
    }

    public Task<SandboxSession> AttachFilesystemAsync(SandboxSession session, FilesystemMount mount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mount);
        var local = Local(session);
        lock (local.Gate)
        {
            local.RequireNotTerminated("attach a mount");
            var spec = $"{mount.Path}:{mount.HostPath}{(mount.ReadOnly ? ":ro" : "")}";
            var policy = local.Current.Policy.ToBuilder().FsMount(spec, "attached mount").Build();
            local.Supersede(ProvisionedConfinement.ForSession(policy));
            return Task.FromResult(Describe(local));
        }
    }

    public Task<SandboxSession> ApplyNetworkPolicyAsync(SandboxSession session, NetworkPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var local = Local(session);
        lock (local.Gate)
        {
            local.RequireNotTerminated("change its network policy");
            var builder = (local.Current.Policy with { NetAllow = [], NetDeny = [] }).ToBuilder();
            foreach (var rule in policy.Allow) builder.NetAllow(rule, "NetworkPolicy.Allow");
            foreach (var rule in policy.Deny ?? []) builder.NetDeny(rule, "NetworkPolicy.Deny");
            var next = builder.Build();
            // Resolved (and pinned) before anything changes: a name that does not resolve changes nothing.
            var narrowing = Supervision.Network.NetworkRules.Compile(next);
            var provisioned = ProvisionedConfinement.ForSession(next);
            foreach (var running in local.All) running.Plan.Supervised?.Gate?.Narrow(narrowing);
            local.Supersede(provisioned);
            return Task.FromResult(Describe(local));
        }
    }

    public async Task<SandboxResult> ExecAsync(SandboxSession session, ExecRequest request, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await using var sandbox = Start(session, request);
        return await sandbox.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts one command in the session and hands back its <see cref="Sandbox"/> (to wait for, pause or kill), for a
    /// caller that needs the result of a command it killed; <see cref="ExecAsync"/> is this and a wait.
    /// </summary>
    public Sandbox Start(SandboxSession session, ExecRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var local = Local(session);
        lock (local.Gate)
        {
            local.RequireLive("run a command");
            var sandbox = new Sandbox(local.Current, request.Command, request.Stdio)
            {
                Timeout = request.Timeout,
                OnStandardOutput = request.OnStandardOutput,
                OnStandardError = request.OnStandardError,
                OnPortMapped = request.OnPortMapped,
                StarterWaitsForEnd = request.StarterWaitsForEnd,
                Prepared = local.TakePrepared(),
            };
            // Under the gate: termination cannot release the ruleset while a start still uses it.
            try
            {
                sandbox.Start();
            }
            finally
            {
                local.PrepareNext();
            }
            local.Started(sandbox);
            // The result's task itself, not WaitAsync's: an async method's state machine over a framework generic is
            // JIT-compiled in every fresh process (a build node's first step, a test host's first test).
            _ = sandbox.Completion.ContinueWith(_ =>
            {
                lock (local.Gate) local.Ended(sandbox);
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return sandbox;
        }
    }

    public Task<SandboxSnapshot> SnapshotAsync(SandboxSession session, CancellationToken cancellationToken = default)
    {
        var local = Local(session);
        lock (local.Gate) local.RequireNotTerminated("take a snapshot");
        throw new SandboxSessionException(
            $"session {local.Id}: a snapshot needs checkpoint/restore of its processes (CRIU), which the local Landlock/seccomp " +
            "backend does not have; SuspendAsync stops the session's commands where they are and ResumeAsync continues them");
    }

    public Task<SandboxSession> SuspendAsync(SandboxSession session, CancellationToken cancellationToken = default)
    {
        var local = Local(session);
        lock (local.Gate)
        {
            local.RequireNotTerminated("be suspended");
            local.Suspend();
            foreach (var sandbox in local.Running) sandbox.Pause();
            return Task.FromResult(Describe(local));
        }
    }

    public Task<SandboxSession> ResumeAsync(SandboxSession session, CancellationToken cancellationToken = default)
    {
        var local = Local(session);
        lock (local.Gate)
        {
            local.RequireNotTerminated("be resumed");
            foreach (var sandbox in local.Running) sandbox.Resume();
            local.Resume();
            return Task.FromResult(Describe(local));
        }
    }

    public async Task TerminateAsync(SandboxSession session, CancellationToken cancellationToken = default)
    {
        var local = Local(session);
        IReadOnlyList<Sandbox> running;
        Task preparedReaped;
        lock (local.Gate)
        {
            if (local.State == SandboxSessionState.Terminated) return;
            preparedReaped = local.Terminate();
            running = local.Running;
        }
        foreach (var sandbox in running) sandbox.Kill();
        await preparedReaped.ConfigureAwait(false);
        foreach (var sandbox in running)
        {
            try { await sandbox.WaitAsync(CancellationToken.None).ConfigureAwait(false); }
            catch (Exception) { /* its exec call reports how it ended */ }
        }
        lock (local.Gate) local.Release();
    }

    private LocalSession Local(SandboxSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.BackendState as LocalSession
            ?? throw new ArgumentException($"session {session.Id} belongs to the '{session.Backend}' backend, not to '{Name}'", nameof(session));
    }

    private SandboxSession Describe(LocalSession local) =>
        new(local.Id, Name, local.Current.Policy, local.State, local.Temp?.HostPath) { BackendState = local };
}
