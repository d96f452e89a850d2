using System.Diagnostics;
using Sandlock.Confinement;
using Sandlock.Confinement.Landlock;
using Sandlock.Interop;
using Sandlock.Policy;
using Sandlock.Supervision;
using Sandlock.Supervision.Limits;
using Sandlock.Lifecycle;
using Sandlock.Lifecycle.Registry;

namespace Sandlock;

/// <summary>
/// One confined command. Create it, <see cref="Start"/> it, then <see cref="WaitAsync"/>; or use
/// <see cref="RunAsync"/> for all three. Disposing it kills whatever of its process tree is still running.
/// </summary>
public sealed class Sandbox : IAsyncDisposable, IDisposable
{
    private const int AddrNoRandomize = 0x0040000;

    private readonly Lock _gate = new();
    private ChildWatcher.ChildExit? _exit;
    private ChildWatcher.OutputPipe? _stdout, _stderr;
    private Task<SandboxResult>? _result;
    private readonly TaskCompletionSource<SandboxResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _timer;
    private readonly Stopwatch _clock = new();
    private volatile bool _timedOut, _killed;
    private int _processGroup;
    private bool _ownsTerminal;
    private SupervisedSession? _session;
    private PidsCgroup? _cgroup;
    private CancellationTokenSource? _limitsStop;
    private volatile bool _pausedByCaller;
    private readonly System.Collections.Concurrent.ConcurrentQueue<Denial> _denials = new();
    private readonly ProvisionedConfinement? _provisioned;
    private Lifecycle.Workspaces.WorkspaceRun? _workspace;

    public Sandbox(SandboxPolicy policy, IReadOnlyList<string> command, StdioMode stdio = StdioMode.Capture)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0 || command[0].Length == 0)
            throw new SandboxSetupException(SetupFailure.CommandNotFound, "empty command: give the program to run");
        Policy = policy;
        Command = [.. command];
        Stdio = stdio;
    }

    /// <summary>A restored process runs the checkpointed command, not the stub that rebuilt it: say so to ps and inspect.</summary>
    internal void RunsRestoredCommand(IReadOnlyList<string> command) => Command = command;

    /// <summary>A command of a session: started with what the session decided once, which outlives it.</summary>
    internal Sandbox(ProvisionedConfinement provisioned, IReadOnlyList<string> command, StdioMode stdio)
        : this(provisioned.Policy, command, stdio)
    {
        _provisioned = provisioned;
    }

    public SandboxPolicy Policy { get; }
    public IReadOnlyList<string> Command { get; private set; }
    public StdioMode Stdio { get; }

    /// <summary>Kills the process group when it runs longer; the result then reports <see cref="ExitStatus.TimedOut"/>.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Sees captured stdout as it arrives (<see cref="StdioMode.Capture"/> only); the result still holds all of it.</summary>
    public OutputHandler? OnStandardOutput { get; init; }

    /// <summary>Sees captured stderr as it arrives (<see cref="StdioMode.Capture"/> only).</summary>
    public OutputHandler? OnStandardError { get; init; }

    /// <summary>
    /// Syscall handlers of the library user, served by the supervisor after the builtin ones; a syscall the policy
    /// denies cannot be handled.
    /// </summary>
    internal IReadOnlyList<SyscallHandler> Handlers { get; init; } = [];

    /// <summary>
    /// Decides execve, open, bind and network destinations at run time, after the static policy, and may tighten the
    /// live policy (<see cref="LivePolicy"/>) but never loosen the static one.
    /// </summary>
    public PolicyCallback? PolicyCallback { get; init; }

    /// <summary>
    /// With port remapping, sees each port the sandbox binds and the real port behind it (what a client outside
    /// connects to) as soon as it is bound, before the child's bind returns. Runs on a supervisor thread: keep it quick.
    /// </summary>
    public Action<PortMapping>? OnPortMapped { get; init; }

    /// <summary>The port mappings made so far (with port remapping); the result holds all of them.</summary>
    public IReadOnlyList<PortMapping> PortMappings => _session?.PortMappings ?? [];

    /// <summary>Pipe ends and numbered fds a pipeline, gather or fork template hands the child instead of its own.</summary>
    internal ChildStreams? Streams { get; init; }

    /// <summary>
    /// Starts the command as a fork template: it gets a control socket as fd 3 (named by SANDLOCK_FORK_FD) and, once
    /// it says READY, <see cref="ForkAsync"/> makes copy-on-write clones of it (docs/fork-protocol.md).
    /// </summary>
    public bool ForkTemplate { get; init; }

    private Lifecycle.Forking.TemplateChannel? _forks;

    /// <summary>
    /// Asks the fork template for <paramref name="count"/> clones; waits for it to be ready first. Disposing the
    /// template kills its clones too. A failed or cancelled fork ends the template's channel.
    /// </summary>
    public Task<IReadOnlyList<SandboxClone>> ForkAsync(int count, CancellationToken cancellationToken = default) =>
        (_forks ?? throw new InvalidOperationException("ForkAsync needs a started sandbox with ForkTemplate = true"))
            .ForkAsync(count, Pid!.Value, _session?.Clones, cancellationToken);

    /// <summary>Waits for every clone, then runs <paramref name="command"/> with their outputs, in clone id order, on its stdin.</summary>
    public static Task<SandboxResult> ReduceAsync(SandboxPolicy policy, IReadOnlyList<string> command, IReadOnlyList<SandboxClone> clones,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Lifecycle.Forking.CloneReducer.RunAsync(policy, command, clones, timeout, cancellationToken);

    /// <summary>
    /// The thread calling <see cref="Start"/> waits until the command has ended, so the child is forked on it (its
    /// parent-death signal follows the forking thread) instead of being handed to the spawn thread.
    /// </summary>
    internal bool StarterWaitsForEnd { get; init; }

    /// <summary>
    /// A child a session confined ahead for its next command: the start launches it when the command needs nothing
    /// else, and disposes it otherwise.
    /// </summary>
    internal PreparedChild? Prepared { get; init; }

    /// <summary>Set by <see cref="ReproCheck"/> to start the command with its environment in a varied order.</summary>
    internal Random? EnvironmentShuffle { get; init; }

    /// <summary>The child's pid (also its process group id), once started.</summary>
    public int? Pid { get; private set; }

    /// <summary>Protections the kernel lacked and the policy waived with allow_degraded.</summary>
    public IReadOnlyList<string> Degraded { get; private set; } = [];

    public bool HasStarted => Pid is not null;

    /// <summary>What <c>sandlock ps</c>, <c>inspect</c> and <c>kill</c> call it (with <see cref="SandboxPolicy.Name"/>), once started.</summary>
    public string? Id { get; private set; }

    /// <summary>With a workdir: run, list the changes, and throw them away whatever on_exit says.</summary>
    public bool DryRun { get; init; }

    /// <summary>A stage of a <see cref="WorkspaceTransaction"/>: runs over its layer, which the transaction ends.</summary>
    internal Lifecycle.Workspaces.WorkspaceRun? Transaction { get; init; }

    private SandboxPolicy StartPolicy => Transaction?.For(Policy) ?? _workspace?.Policy ?? Policy;

    /// <summary>Runs a command over its workdir, lists what it changed there (<c>A|M|D PATH</c>) and keeps none of it.</summary>
    public static async Task<DryRunResult> DryRunAsync(SandboxPolicy policy, IReadOnlyList<string> command,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Workdir is null) throw new SandboxSetupException(SetupFailure.Sandbox, "a dry run needs a workdir, whose changes it lists");
        cancellationToken.ThrowIfCancellationRequested();
        await using var sandbox = new Sandbox(policy, command) { Timeout = timeout, DryRun = true };
        sandbox.Start();
        var result = await sandbox.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new DryRunResult(result, result.Changes);
    }

    /// <summary>Runs a command to completion with stdout and stderr captured.</summary>
    public static Task<SandboxResult> RunAsync(SandboxPolicy policy, IReadOnlyList<string> command,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RunWithStdioAsync(policy, command, StdioMode.Capture, timeout, cancellationToken);

    /// <summary>Runs a command to completion on the caller's terminal (stdio inherited).</summary>
    public static Task<SandboxResult> RunInteractiveAsync(SandboxPolicy policy, IReadOnlyList<string> command,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RunWithStdioAsync(policy, command, StdioMode.Inherit, timeout, cancellationToken);

    private static async Task<SandboxResult> RunWithStdioAsync(SandboxPolicy policy, IReadOnlyList<string> command, StdioMode stdio,
        TimeSpan? timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await using var sandbox = new Sandbox(policy, command, stdio) { Timeout = timeout };
        sandbox.Start();
        return await sandbox.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Blocks until the sandbox ends, for a thread with nothing else to do (the CLI's main thread): unlike awaiting
    /// <see cref="WaitAsync"/>, it wakes no thread-pool thread, which a process that has none yet would first create.
    /// </summary>
    internal SandboxResult Wait(CancellationToken cancellationToken)
    {
        var result = _result ?? throw new InvalidOperationException("the sandbox has not been started");
        using (cancellationToken.Register(() => { _killed = true; ProcessTree.Kill(_processGroup); }))
        {
            // Its exit is seen on this thread when nothing else serves the event loop (the CLI's).
            EventLoop.ServeUntil(result);
            var finished = result.GetAwaiter().GetResult();
            cancellationToken.ThrowIfCancellationRequested();
            return finished;
        }
    }

    /// <summary>
    /// Confines and starts the command. Throws <see cref="SandboxSetupException"/> when the sandbox cannot be set
    /// up, the command is not found, or it cannot be executed; nothing is left running then.
    /// </summary>
    public void Start()
    {
        lock (_gate)
        {
            if (HasStarted) throw new InvalidOperationException("the sandbox has already been started");
            RefuseLimitsClonesEscape();
            // A workdir's layer belongs to this run: made before the rules that name it, thrown away if the start fails.
            _workspace = Policy.Workdir is null || _provisioned is not null || Transaction is not null ? null : Lifecycle.Workspaces.WorkspaceRun.Create(Policy);
            try
            {
                StartProvisioned();
            }
            catch
            {
                _workspace?.Dispose();
                _workspace = null;
                throw;
            }
            finally
            {
                // Spent when it was launched; otherwise it is of no use to anyone else.
                Prepared?.Dispose();
            }
        }
    }

    /// <summary>
    /// max_memory's sum and the cpu share are kept by watching the template's own tree and group, which clones (the
    /// supervisor's children, in groups of their own) are not in: a fork template with them would not be held to them.
    /// </summary>
    private void RefuseLimitsClonesEscape()
    {
        if (!ForkTemplate) return;
        var setting = Policy.MaxMemory is not null ? Sandlock.Policy.Settings.SettingNames.MaxMemory : Policy.MaxCpu is < 100 ? Sandlock.Policy.Settings.SettingNames.Cpu : null;
        if (setting is not null)
            throw new SandboxSetupException(SetupFailure.Sandbox,
                $"{setting} is not supported for a fork template: its clones would not be held to it (docs/fork-protocol.md)");
    }

    /// <summary>
    /// A one-shot start that a child confined ahead could serve (<see cref="RepeatedPolicies"/>): nothing of its own
    /// changes what is held or how the child is made.
    /// </summary>
    private bool Repeatable =>
        _provisioned is null && Prepared is null && Handlers.Count == 0 && PolicyCallback is null && !ForkTemplate && Streams is null
        && EnvironmentShuffle is null && Transaction is null && Policy.Workdir is null;

    private void StartProvisioned()
    {
        // One path for both: a one-shot sandbox provisions for itself, a session's command uses the session's.
        var owned = _provisioned is null ? ProvisionedConfinement.Create(StartPolicy, Handlers, PolicyCallback) : null;
        try
        {
            StartProvisioned(_provisioned ?? owned!);
            // Kept for the policy's next start when it repeats; otherwise released below.
            if (owned is not null && Repeatable && RepeatedPolicies.Started(Policy, owned)) owned = null;
        }
        finally
        {
            owned?.Dispose();
        }
    }

    private void StartProvisioned(ProvisionedConfinement confinement)
    {
        var plan = confinement.Plan;
        Degraded = plan.Degraded;
        var environment = _provisioned is null ? ChildEnvironment.Build(Policy, EnvironmentShuffle) : _provisioned.SessionEnvironment();
        var workingDirectory = WorkingDirectory;
        var path = CommandResolver.Resolve(Command[0], environment, workingDirectory, ChildRoot.Of(Policy));

        if (ForkTemplate) environment = [.. environment, Lifecycle.Forking.TemplateChannel.EnvironmentEntry];
        _forks = ForkTemplate ? Lifecycle.Forking.TemplateChannel.Open() : null;
        _cgroup = plan.ProcessLimit is { Mechanism: ProcessCountMechanism.PidsCgroup, Cgroups: { } hierarchy } limit
            ? PidsCgroup.Create(hierarchy, limit.Max)
            : null;
        try
        {
            StartConfined(confinement, environment, path);
        }
        catch
        {
            // A failed start leaves no cgroup behind (a started command is killed and reaped by then).
            _cgroup?.Remove();
            _cgroup = null;
            _forks?.Dispose();
            _forks = null;
            throw;
        }
    }

    /// <summary>Where the command starts; under a chroot a path inside it, its root unless the policy says otherwise.</summary>
    private string WorkingDirectory => Policy.Cwd ?? (Policy.Chroot is null ? Environment.CurrentDirectory : "/");

    /// <summary>
    /// RLIMIT_NPROC counts per user namespace; and chroot needs CAP_SYS_CHROOT, which an unprivileged user has only
    /// inside a user namespace of its own.
    /// </summary>
    private static bool NeedsUserNamespace(SandboxPolicy policy, ConfinementPlan plan) =>
        plan.ProcessLimit?.Mechanism == ProcessCountMechanism.UserNamespaceRlimit
        || (policy.Chroot is not null && SystemInfo.EffectiveUserId() != 0);

    /// <summary>What the shim applies for the policy alone, before anything of a particular command (no command, stdio, cgroup or terminal).</summary>
    internal static SpawnRequest ConfinementRequest(SandboxPolicy policy, ProvisionedConfinement confinement)
    {
        var plan = confinement.Plan;
        return new SpawnRequest(
            "", [], [], null, -1, -1, -1,
            confinement.RulesetFd,
            plan.SeccompFilter, plan.SeccompFlags,
            [.. ProcessLimits.For(policy, plan.ProcessLimit)],
            policy.NoRandomizeMemory ? AddrNoRandomize : -1,
            policy.NoHugePages,
            TakeTerminal: false,
            CpuMask: CpuSelection.Mask(policy),
            UserNamespace: NeedsUserNamespace(policy, plan) ? UserNamespaceMaps.Identity() : null,
            Chroot: policy.Chroot);
    }

    private void StartConfined(ProvisionedConfinement confinement, IReadOnlyList<string> environment, string path)
    {
        var plan = confinement.Plan;
        using var stdio = ChildStdio.Open(Stdio, Streams ?? _forks?.Streams);
        using var mounted = MountedStart.For(StartPolicy, path, Policy.Chroot is null ? Policy.Workdir is null ? Policy.Cwd : WorkingDirectory : WorkingDirectory);
        var request = ConfinementRequest(Policy, confinement) with
        {
            Path = mounted.Path,
            Arguments = Command,
            Environment = environment,
            WorkingDirectory = mounted.WorkingDirectory,
            StdinFd = stdio.ChildStdin,
            StdoutFd = stdio.ChildStdout,
            StderrFd = stdio.ChildStderr,
            TakeTerminal = _ownsTerminal = Stdio == StdioMode.Inherit && Terminal.WeOwnStdinTerminal(),
            CgroupProcsFd = _cgroup?.ProcsFd ?? -1,
            WorkingDirectoryFd = mounted.WorkingDirectoryFd,
            ExtraFds = stdio.ExtraFds,
        };

        _session = NewSupervisedSession(plan);
        using var repeated = Repeatable && PreparedChild.CanLaunch(request) ? RepeatedPolicies.Take(Policy) : null;
        SpawnOutcome outcome;
        if ((Prepared ?? repeated) is { } prepared && prepared.Fits(confinement, request))
        {
            outcome = prepared.Launch(request, AttachSupervisor);
            if (outcome is { FailedStep: SpawnStep.ListenerHandoff, Error: Errno.ECHILD })
            {
                // It died while it waited (something killed it): the command starts the ordinary way, supervised afresh.
                _session!.End();
                _session = NewSupervisedSession(plan);
                outcome = SpawnThread.Spawn(request, AttachSupervisor, StarterWaitsForEnd);
            }
        }
        else
        {
            outcome = SpawnThread.Spawn(request, _session is null ? null : AttachSupervisor, StarterWaitsForEnd);
        }
        _cgroup?.CloseProcsFd();
        _forks?.CloseTemplateEnd();
        if (outcome.FailedStep != SpawnStep.None)
        {
            // Handlers may have served the child before its exec failed (an exec in a mount is held).
            _session?.End();
            throw SpawnFailure(outcome, path, Policy);
        }

        _clock.Start();
        Pid = outcome.Pid;
        _processGroup = outcome.Pid;
        try
        {
            var pipes = new List<ChildWatcher.OutputPipe>();
            if (stdio.TakeParentStdout() is { } outFd) pipes.Add(_stdout = new ChildWatcher.OutputPipe(outFd, OnStandardOutput));
            if (stdio.TakeParentStderr() is { } errFd) pipes.Add(_stderr = new ChildWatcher.OutputPipe(errFd, OnStandardError));
            foreach (var pipe in pipes) ChildWatcher.Add(pipe);
            _result = _completion.Task;
            _exit = new ChildWatcher.ChildExit(outcome.PidFd, outcome.Pid, pipes, Complete);
            // Before the watcher may see it end: an entry made after its end would stay listed.
            Id = SandboxRegistry.Register(this);
            ChildWatcher.Add(_exit);
        }
        catch
        {
            // Nothing may outlive a failed start: the command is already running, so kill and reap it.
            ProcessTree.Kill(_processGroup);
            ChildProcess.Reap(outcome.Pid);
            Libc.CloseQuietly(outcome.PidFd);
            _session?.End();
            SandboxRegistry.Unregister(Id);
            Pid = null;
            throw;
        }
        if (Timeout is { } timeout) StartTimer(timeout);
        _limitsStop = new CancellationTokenSource();
        if (Policy.MaxCpu is { } percent && percent < 100)
            _ = new CpuThrottle(percent, outcome.Pid, () => _pausedByCaller).ThrottleAsync(_limitsStop.Token);
        if (Policy.MaxMemory is { } memory)
        {
            var watchdog = new MemoryWatchdog(memory, outcome.Pid, denial =>
            {
                _denials.Enqueue(denial);
                _killed = true;
                KillTree();
            });
            _ = watchdog.WatchAsync(_limitsStop.Token);
        }
    }

    /// <summary>
    /// The command's end, for a thread that blocks on its wait handle (a build task's): the handle is set on the
    /// watcher thread as the result is, where <see cref="WaitAsync"/> completes only after a thread-pool hop.
    /// </summary>
    internal Task<SandboxResult> Completion => Served(_result ?? throw new InvalidOperationException("the sandbox has not been started"));

    /// <summary>A wait that does not serve the event loop itself needs something else to, until the sandbox has ended.</summary>
    private static Task<SandboxResult> Served(Task<SandboxResult> result)
    {
        if (!result.IsCompleted) EventLoop.EnsureServed();
        return result;
    }

    /// <summary>Waits for the command to end. Cancelling the token kills the sandbox's process group.</summary>
    public async Task<SandboxResult> WaitAsync(CancellationToken cancellationToken = default)
    {
        var result = Served(_result ?? throw new InvalidOperationException("the sandbox has not been started"));
        if (!cancellationToken.CanBeCanceled || result.IsCompleted) return await result.ConfigureAwait(false);
        await using (cancellationToken.Register(() => { _killed = true; ProcessTree.Kill(_processGroup); }).ConfigureAwait(false))
        {
            var finished = await result.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return finished;
        }
    }

    /// <summary>
    /// A process that runs several jobs in turn (a shared test child) starts the next one: the supervisor's seeded
    /// streams take <paramref name="seed"/> and the virtual clock reads time_start again.
    /// </summary>
    internal void RestartJob(ulong seed) => _session?.Restart(seed);

    /// <summary>
    /// The next <see cref="RestartJob"/> will take <paramref name="seed"/>: what it serves is made ahead, on the calling
    /// thread (a fraction of a millisecond).
    /// </summary>
    internal void PrepareJob(ulong seed) => _session?.PrepareOutsideCall(seed);

    /// <summary>What the sandbox has denied so far (the result holds all of it).</summary>
    internal IReadOnlyList<Denial> DeniedSoFar => [.. _session?.Denials ?? [], .. _denials];

    /// <summary>The supervisor's part of <see cref="DeniedSoFar"/>, in the order it recorded them (see <see cref="Supervision.JobStarts"/>).</summary>
    internal IReadOnlyList<Denial> SupervisorDeniedSoFar => _session?.Denials ?? [];

    /// <summary>The rest of <see cref="DeniedSoFar"/>: what the sandbox itself refused (a fork over the process limit).</summary>
    internal IReadOnlyList<Denial> OwnDeniedSoFar => [.. _denials];

    /// <summary>Stops every process of the sandbox (SIGSTOP to its process group).</summary>
    public void Pause()
    {
        _pausedByCaller = true;
        SignalGroup(Libc.SIGSTOP);
    }

    /// <summary>Continues a paused sandbox (SIGCONT to its process group).</summary>
    public void Resume()
    {
        _pausedByCaller = false;
        SignalGroup(Libc.SIGCONT);
    }

    /// <summary>
    /// Saves the running command (one single-threaded x86_64 process) into <paramref name="folder"/>: memory,
    /// registers, open files, working directory and the policy it runs under (docs/checkpoint.md). It runs on afterwards, or is killed before
    /// it runs again with <paramref name="thenKill"/>. Throws <see cref="SandboxCheckpointException"/> naming what
    /// cannot be saved (threads, sockets, pipes other than stdio, child processes, signal handlers).
    /// </summary>
    public Task CheckpointAsync(string folder, bool thenKill = false, CancellationToken cancellationToken = default)
    {
        RequireRunning();
        if (_result!.IsCompleted) throw new SandboxCheckpointException("the sandbox has ended: there is nothing to checkpoint");
        var notCarried = PolicyCallback is not null ? "a policy callback" : Handlers.Count > 0 ? "syscall handlers of its own" : null;
        return Lifecycle.Checkpoints.SandboxCheckpoints.CheckpointAsync(Pid!.Value, Policy, notCarried, Command, folder, thenKill ? Kill : null, cancellationToken);
    }

    /// <summary>
    /// Continues a checkpointed process in a new sandbox confined by <paramref name="policy"/> instead of the policy
    /// stored in the folder, on the kernel it was saved on; stdin, stdout and stderr are the new sandbox's. The
    /// returned sandbox is started: wait for it as for any other.
    /// </summary>
    public static Task<Sandbox> RestoreAsync(string folder, SandboxPolicy policy, StdioMode stdio = StdioMode.Capture,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Lifecycle.Checkpoints.SandboxCheckpoints.RestoreAsync(folder, policy, stdio, cancellationToken);
    }

    /// <summary>
    /// Continues a checkpointed process in a new sandbox confined by the policy it was checkpointed under (the folder's
    /// policy.toml). A checkpoint of a sandbox that had more than a policy (a policy callback) is refused: give a policy.
    /// </summary>
    public static Task<Sandbox> RestoreAsync(string folder, StdioMode stdio = StdioMode.Capture, CancellationToken cancellationToken = default) =>
        Lifecycle.Checkpoints.SandboxCheckpoints.RestoreAsync(folder, null, stdio, cancellationToken);

    /// <summary>Sends a signal to the sandbox's process group (used to pass on terminal signals).</summary>
    public void Signal(int signal) => SignalGroup(signal);

    /// <summary>Kills every process of the sandbox; the result reports <see cref="ExitStatus.Killed"/>.</summary>
    public void Kill()
    {
        RequireRunning();
        _killed = true;
        KillTree();
    }

    private void SignalGroup(int signal)
    {
        RequireRunning();
        if (_result!.IsCompleted) return;
        Libc.KillGroup(_processGroup, signal);
    }

    private void RequireRunning()
    {
        if (!HasStarted) throw new InvalidOperationException("the sandbox has not been started");
    }

    private void KillTree()
    {
        if (_result is { IsCompleted: false }) ProcessTree.Kill(_processGroup);
    }

    private void StartTimer(TimeSpan timeout)
    {
        _timer = new CancellationTokenSource();
        _ = Task.Delay(timeout, _timer.Token).ContinueWith(t =>
        {
            if (t.IsCanceled) return;
            _timedOut = true;
            KillTree();
            // A template's time covers its clones, which may run on after it: they are the sandbox's too.
            _forks?.TimeOutClones();
        }, TaskScheduler.Default);
    }

    private SupervisedSession? NewSupervisedSession(ConfinementPlan plan)
    {
        var session = plan.Supervised?.CreateSession();
        if (session is not null)
        {
            session.OnPortMapped = OnPortMapped;
            if (ForkTemplate) session.Clones = new Supervision.Lifetime.CloneMembers();
        }
        return session;
    }

    /// <summary>Runs on the spawn thread before the child may execve: from here on its held syscalls are served.</summary>
    private bool AttachSupervisor(int listener, int pid)
    {
        _session!.Attach(listener, pid, _ => { _killed = true; ProcessTree.Kill(pid); });
        // Not fatal when missing (kernels before 6.6): round trips are then slower, not less safe.
        SeccompNotify.SetSyncWakeUp(listener);
        Supervisor.Register(_session);
        return true;
    }

    /// <summary>What it has denied so far and how often each held syscall came, for the registry.</summary>
    internal (IReadOnlyList<Denial> Denials, IReadOnlyDictionary<string, long> HeldCalls) LiveState() =>
        ([.. _session?.Denials ?? [], .. _denials], _session?.HeldCallCounts ?? new Dictionary<string, long>());

    /// <summary>Runs on the watcher thread once the child is reaped and its pipes are drained.</summary>
    private void Complete(int code, int status)
    {
        SandboxRegistry.Unregister(Id);
        _clock.Stop();
        _forks?.Dispose();
        _limitsStop?.Cancel();
        var madeGroups = _session?.State(() => new Supervision.Lifetime.SandboxProcessGroups());
        var session = _session;
        if (_ownsTerminal) Terminal.Reclaim();
        // Clones still running keep the timer: it ends them when the sandbox's time is up.
        if (_forks is not { HasLiveClones: true }) _timer?.Cancel();
        var exitStatus = ExitStatus.FromWait(code, status, _timedOut, _killed);
        var result = new SandboxResult(Pid ?? 0, exitStatus, _stdout?.ToArray() ?? [], _stderr?.ToArray() ?? [], _clock.Elapsed);
        void Finish()
        {
            session?.End();
            var ended = result with { Denials = [.. session?.Denials ?? [], .. _denials], PortMappings = session?.PortMappings ?? [] };
            _completion.TrySetResult(_workspace is not null ? Lifecycle.Workspaces.WorkspaceEnd.Apply(_workspace, ended, DryRun)
                : Transaction is not null ? ended with { Changes = Lifecycle.Workspaces.ChangeList.Of(Transaction.Layout) }
                : ended);
        }
        var mayRemain = Stragglers.MayRemain(_processGroup, madeGroups);
        if (_cgroup is null && !mayRemain && _workspace is null && Transaction is null)
        {
            Finish();
            return;
        }
        // Waiting for stragglers to die and removing the cgroup: not on the watcher thread.
        var cgroup = _cgroup;
        _ = Task.Run(() =>
        {
            try
            {
                if (mayRemain) Stragglers.Kill(_processGroup, madeGroups);
                if (cgroup is null) return;
                if (cgroup.RefusedForks() is > 0 and var refused)
                    _denials.Enqueue(new Denial("fork", "over the process limit", Pid ?? 0, $"max_processes {Policy.MaxProcesses}: {refused} refused"));
                cgroup.Remove();
            }
            finally
            {
                Finish();
                EventLoop.Wake();
            }
        });
    }

    /// <remarks>The shim has reaped the failed child already: reaping by pid here could catch another child.</remarks>
    private static SandboxSetupException SpawnFailure(SpawnOutcome outcome, string path, SandboxPolicy policy)
    {
        Libc.CloseQuietly(outcome.PidFd);
        var reason = Libc.ErrorText(outcome.Error);
        var namespaceFor = policy.MaxProcesses is not null ? "max_processes" : "chroot";
        return outcome.FailedStep switch
        {
            SpawnStep.Exec when outcome.Error == 2 => new(SetupFailure.CommandNotFound, $"{path}: {reason}"),
            SpawnStep.Exec => new(SetupFailure.CommandNotExecutable, $"cannot execute {path}: {reason}"),
            SpawnStep.Landlock => new(SetupFailure.Sandbox, $"cannot enforce the Landlock ruleset: {reason}"),
            SpawnStep.Seccomp => new(SetupFailure.Sandbox, $"cannot install the seccomp filter: {reason}"),
            SpawnStep.WorkingDirectory => new(SetupFailure.Sandbox, $"cannot change to the working directory: {reason}"),
            SpawnStep.ResourceLimit => new(SetupFailure.Sandbox, $"cannot set a resource limit: {reason}"),
            SpawnStep.CpuAffinity => new(SetupFailure.Sandbox, $"cannot restrict the command to the chosen CPUs: {reason}"),
            SpawnStep.Cgroup => new(SetupFailure.Sandbox, $"max_processes: cannot move the command into its pids cgroup: {reason}"),
            SpawnStep.UserNamespace when namespaceFor == "chroot" => new(SetupFailure.Sandbox, $"chroot: cannot create a user namespace (needed for CAP_SYS_CHROOT without root): {reason}"),
            SpawnStep.UserNamespace => new(SetupFailure.Sandbox, $"max_processes: cannot create a user namespace (needed for RLIMIT_NPROC to count only the sandbox): {reason}"),
            SpawnStep.IdMaps => new(SetupFailure.Sandbox, $"{namespaceFor}: cannot write the user namespace's uid/gid maps: {reason}"),
            SpawnStep.Chroot => new(SetupFailure.Sandbox, $"chroot: cannot change the root directory to {policy.Chroot}: {reason}"),
            SpawnStep.Capabilities => new(SetupFailure.Sandbox, $"cannot drop the command's capabilities: {reason}"),
            var step => new(SetupFailure.Sandbox, $"cannot start the sandbox ({step}): {reason}"),
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_result is null) return;
        if (_forks is not null) await _forks.KillClonesAsync().ConfigureAwait(false);
        KillTree();
        try { await Served(_result).ConfigureAwait(false); }
        catch (Exception) { /* the result is already observed by WaitAsync callers */ }
        _timer?.Cancel();
        _timer?.Dispose();
        // Only now: the watcher thread cancels it when the command ends.
        _limitsStop?.Dispose();
    }

    public void Dispose()
    {
        _forks?.KillClones();
        KillTree();
        _timer?.Cancel();
    }
}
