using Sandlock.Confinement;
using Sandlock.Interop;

namespace Sandlock.Lifecycle;

/// <summary>
/// A session's next command, or the next one-shot start of a policy that repeats (<see cref="RepeatedPolicies"/>),
/// confined ahead: forked on the spawn thread, under the policy's Landlock ruleset and seccomp filter, its listener
/// handed over, waiting for the command, its stdio and working directory. Loading the filter and the steps around it
/// cost a few hundred microseconds of the kernel's time a command here, paid while nothing waits. The supervisor is
/// attached at launch, when the command is known.
/// </summary>
internal sealed class PreparedChild : IDisposable
{
    private readonly Lock _gate = new();
    private nint _handle;
    private int _listener;
    private readonly bool _ownsConfinement;
    private int _confinementDisposed;

    private PreparedChild(ProvisionedConfinement confinement, nint handle, int pid, int listener, bool ownsConfinement)
    {
        Confinement = confinement;
        _handle = handle;
        Pid = pid;
        _listener = listener;
        _ownsConfinement = ownsConfinement;
    }

    /// <summary>What it was confined with: a launch for any other provisioning must not use it.</summary>
    public ProvisionedConfinement Confinement { get; }

    public int Pid { get; }

    /// <summary>
    /// Whether a session's commands can start this way: supervised (the hand-off is the supervised spawn's), and with
    /// nothing a launch would have to set up before the confinement (a pids cgroup per command, a user namespace, a
    /// chroot, a workdir's mounts).
    /// </summary>
    public static bool Suits(ProvisionedConfinement confinement, SpawnRequest confinementRequest) =>
        confinement.Plan.Supervised is not null && SetsUpNothingFirst(confinementRequest) && confinement.Policy.Workdir is null
        && confinement.Plan.ProcessLimit?.Mechanism != ProcessCountMechanism.PidsCgroup;

    private static bool SetsUpNothingFirst(SpawnRequest request) =>
        request is { CgroupProcsFd: -1, UserNamespace: null, Chroot: null, WorkingDirectoryFd: -1, TakeTerminal: false }
        && request.ExtraFds is null or { Count: 0 };

    /// <summary>
    /// Prepares a child on the calling thread (the spawn thread); null when the shim could not. With
    /// <paramref name="ownsConfinement"/> the child disposes <paramref name="confinement"/> when it is disposed (and
    /// at once when none could be prepared).
    /// </summary>
    public static PreparedChild? Prepare(ProvisionedConfinement confinement, SpawnRequest confinementRequest, bool ownsConfinement = false)
    {
        SpawnOutcome outcome;
        nint handle;
        try
        {
            outcome = NativeSpawn.Prepare(confinementRequest, out handle);
        }
        catch
        {
            if (ownsConfinement) confinement.Dispose();
            throw;
        }
        // A failure here is not the command's: its own start then takes the ordinary path and reports it.
        if (outcome.FailedStep == SpawnStep.None) return new PreparedChild(confinement, handle, outcome.Pid, outcome.Listener, ownsConfinement);
        if (ownsConfinement) confinement.Dispose();
        return null;
    }

    /// <summary>Whether this launch needs nothing the child was not prepared for.</summary>
    public bool Fits(ProvisionedConfinement confinement, SpawnRequest request) =>
        ConfinedAlike(confinement) && CanLaunch(request);

    /// <summary>Whether a start of this shape (its stdio, terminal, working directory) can be a prepared child's launch.</summary>
    public static bool CanLaunch(SpawnRequest request) => SetsUpNothingFirst(request);

    /// <summary>
    /// Whether the child is confined as <paramref name="other"/> would confine it: the same provisioning, or (for one-shot
    /// starts, each of which plans for itself) the same policy, the very ruleset (the cache gives a policy the same fd
    /// while each rule's path is the same file, and the child's provisioning holds it open meanwhile) and the very
    /// compiled filter. Everything else the shim applies follows from the policy.
    /// </summary>
    private bool ConfinedAlike(ProvisionedConfinement other) =>
        ReferenceEquals(other, Confinement)
        || (ReferenceEquals(other.Policy, Confinement.Policy) && other.RulesetFd == Confinement.RulesetFd
            && ReferenceEquals(other.Plan.SeccompFilter, Confinement.Plan.SeccompFilter) && other.Plan.SeccompFlags == Confinement.Plan.SeccompFlags);

    /// <summary>
    /// Attaches the supervisor (<paramref name="onListener"/>, which then owns the listener), then hands the child
    /// its command. A child that died while it waited fails with <see cref="SpawnStep.ListenerHandoff"/> and ECHILD.
    /// </summary>
    public SpawnOutcome Launch(SpawnRequest request, ListenerReady onListener)
    {
        var (handle, listener) = Take();
        if (handle == 0) throw new InvalidOperationException("a prepared child launches once");
        // An ordinary start inherits the working directory of this moment, not of when the child was cloned.
        var launch = request.WorkingDirectory is null ? request with { WorkingDirectory = Environment.CurrentDirectory } : request;
        var attached = false;
        try
        {
            return NativeSpawn.Launch(handle, launch, () => attached = onListener(listener, Pid)) with { Listener = listener };
        }
        finally
        {
            if (!attached) Libc.CloseQuietly(listener);
        }
    }

    /// <summary>Ends a child being prepared, now or as soon as it is made; the task ends once it is reaped.</summary>
    public static Task DisposeWhenMade(Task<PreparedChild?> next) =>
        next.ContinueWith(made =>
        {
            if (made.IsCompletedSuccessfully) made.Result?.Dispose();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    public void Dispose()
    {
        var (handle, listener) = Take();
        if (handle != 0) NativeSpawn.Discard(handle);
        if (listener >= 0) Libc.CloseQuietly(listener);
        if (_ownsConfinement && Interlocked.Exchange(ref _confinementDisposed, 1) == 0) Confinement.Dispose();
    }

    /// <summary>The shim's handle and the listener, each given out once (0 and -1 after).</summary>
    private (nint Handle, int Listener) Take()
    {
        lock (_gate)
        {
            var taken = (_handle, _listener);
            (_handle, _listener) = (0, -1);
            return taken;
        }
    }
}
