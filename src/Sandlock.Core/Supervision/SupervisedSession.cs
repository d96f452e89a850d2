using Sandlock.Interop;
using System.Collections.Concurrent;
using Sandlock.Confinement.Seccomp;

namespace Sandlock.Supervision;

/// <summary>The supervisor's view of one sandbox: its listener, its handlers, what it denied and the ports it remapped.</summary>
internal sealed class SupervisedSession
{
    private readonly IReadOnlyDictionary<int, List<(SyscallHandler Handler, Confinement.Seccomp.ArgumentMatch? When)>> _handlers;
    private readonly IReadOnlyDictionary<int, SyscallHandler[]> _unconditional;
    private readonly IReadOnlyDictionary<int, string> _names;
    // How many calls of each held syscall arrived (sandlock inspect): a slot per syscall, counted without a lock.
    private readonly IReadOnlyDictionary<int, int> _countSlots;
    private readonly long[] _counts;
    private readonly ConcurrentQueue<Denial> _denials = new();
    private readonly ConcurrentQueue<PortMapping> _ports = new();
    private Action<string>? _kill;
    private readonly ConcurrentDictionary<Type, object> _state = new();
    private readonly Lock _lifetime = new();
    private int _handling;
    private bool _ended;
    private readonly IReadOnlyList<IRestartable> _restartable;

    internal SupervisedSession(IEnumerable<SyscallHandler> handlers, SyscallTable table) : this(HandlerTable.Of(handlers, table)) { }

    /// <summary>A session over a table made once for a plan: its many sandboxes share it (it is only read).</summary>
    internal SupervisedSession(HandlerTable table)
    {
        _handlers = table.Chains;
        _unconditional = table.Unconditional;
        _names = table.Names;
        _countSlots = table.CountSlots;
        _counts = new long[_countSlots.Count];
        _restartable = table.Restartable;
    }

    /// <summary>Which handlers hold each syscall number, in the order they decide.</summary>
    internal sealed record HandlerTable(
        IReadOnlyDictionary<int, List<(SyscallHandler Handler, Confinement.Seccomp.ArgumentMatch? When)>> Chains,
        IReadOnlyDictionary<int, string> Names,
        IReadOnlyDictionary<int, int> CountSlots,
        IReadOnlyList<IRestartable> Restartable)
    {
        /// <summary>The chains whose handlers want every call of their syscall, made once: each call of them takes the same list.</summary>
        public IReadOnlyDictionary<int, SyscallHandler[]> Unconditional { get; } = UnconditionalOf(Chains);

        // Loops, not LINQ over the dictionary's pairs and the chains' tuples: a fresh process JIT-compiles framework
        // generics over value types (a build node's first routed step, a test host's first sandbox).
        private static Dictionary<int, SyscallHandler[]> UnconditionalOf(
            IReadOnlyDictionary<int, List<(SyscallHandler Handler, Confinement.Seccomp.ArgumentMatch? When)>> chains)
        {
            var unconditional = new Dictionary<int, SyscallHandler[]>();
            foreach (var pair in chains)
            {
                var chain = pair.Value;
                var handlers = new SyscallHandler[chain.Count];
                var always = true;
                for (var i = 0; i < chain.Count && always; i++)
                {
                    always = chain[i].When is null;
                    handlers[i] = chain[i].Handler;
                }
                if (always) unconditional[pair.Key] = handlers;
            }
            return unconditional;
        }

        public static HandlerTable Of(IEnumerable<SyscallHandler> handlers, SyscallTable table)
        {
            var chains = new Dictionary<int, List<(SyscallHandler Handler, Confinement.Seccomp.ArgumentMatch? When)>>();
            var names = new Dictionary<int, string>();
            var slots = new Dictionary<int, int>();
            var restartable = new List<IRestartable>();
            foreach (var handler in handlers)
            {
                if (handler is IRestartable r) restartable.Add(r);
                foreach (var name in handler.Syscalls)
                {
                    if (!table.TryGetNumber(name, out var nr)) continue;
                    // Several handlers may hold one syscall: builtin ones come first, and the first that does not
                    // let the call continue decides.
                    if (!chains.TryGetValue(nr, out var chain)) chains[nr] = chain = [];
                    chain.Add((handler, handler.WantedWhen.GetValueOrDefault(name)));
                    names[nr] = name;
                    slots.TryAdd(nr, slots.Count);
                }
            }
            return new HandlerTable(chains, names, slots, restartable);
        }
    }

    /// <summary>How many calls of each held syscall the supervisor has seen so far (only those seen at all).</summary>
    internal IReadOnlyDictionary<string, long> HeldCallCounts =>
        _countSlots.Where(slot => Interlocked.Read(ref _counts[slot.Value]) > 0)
            .ToDictionary(slot => _names[slot.Key], slot => Interlocked.Read(ref _counts[slot.Value]), StringComparer.Ordinal);

    /// <summary>Names of the syscalls the filter must hold for this session.</summary>
    public IEnumerable<string> HeldSyscalls => _names.Values;

    /// <summary>
    /// Whether it holds a call nearly every program makes as it starts (opening its libraries, running a program): its
    /// supervisor is then needed at once, not only maybe.
    /// </summary>
    internal bool HoldsStartCalls => _names.Values.Any(name => name is "openat" or "open" or "openat2" or "execve" or "execveat");

    public int Listener { get; private set; } = -1;
    public int RootPid { get; private set; }

    public IReadOnlyList<Denial> Denials => [.. _denials];

    /// <summary>How many denials were recorded so far (<see cref="Denials"/> lists them in that order).</summary>
    public int DenialCount => _denials.Count;

    /// <summary>The ports the sandbox bound with port remapping, in the order it bound them.</summary>
    public IReadOnlyList<PortMapping> PortMappings => [.. _ports];

    /// <summary>Sees each port mapping as it is made, before the child's bind returns; runs on a supervisor thread.</summary>
    internal Action<PortMapping>? OnPortMapped { get; set; }

    /// <summary>Why the supervisor killed the sandbox, if it did.</summary>
    public string? Fault { get; private set; }

    internal void Attach(int listener, int rootPid, Action<string> kill)
    {
        Listener = listener;
        RootPid = rootPid;
        _kill = kill;
    }

    /// <summary>The clones of a fork template this session serves; null for any other sandbox.</summary>
    internal Lifetime.CloneMembers? Clones { get; set; }

    /// <summary>Whether a process leads a tree of the sandbox: its first process, or an adopted clone of a fork template.</summary>
    public bool IsRoot(int pid) => pid == RootPid || Clones?.Contains(pid) == true;

    /// <summary>The process of a calling thread (a held call names its thread); null when the thread is gone.</summary>
    public int? ProcessOf(int tid) => Processes.ThreadGroups.Of(tid, RootPid);

    /// <summary>Whether a process (or thread) belongs to the sandbox: it descends from one of its roots.</summary>
    public bool IsMember(int pid) => Views.SandboxMembers.Contains(IsRoot, pid);

    /// <summary>The sandbox's live process ids, of every root's tree.</summary>
    public IEnumerable<int> Members => Views.SandboxMembers.All(Clones is null ? [RootPid] : [RootPid, .. Clones.Roots]);

    public void Deny(Denial denial)
    {
        _denials.Enqueue(denial);
        Clones?.Attribute(denial, RootPid);
    }

    /// <summary>The next job of a shared child starts: seeded streams take <paramref name="seed"/>, clocks restart (in handler order).</summary>
    internal void Prepare(ulong seed)
    {
        foreach (var handler in _restartable) handler.Prepare(seed, this);
    }

    /// <summary>
    /// <see cref="Prepare"/> from the owner rather than from a handler: counted as a call, so that what it makes for a
    /// sandbox that ends meanwhile is released with the sandbox's other state.
    /// </summary>
    internal void PrepareOutsideCall(ulong seed)
    {
        CallStarted();
        try { Prepare(seed); }
        finally { CallFinished(); }
    }

    internal void Restart(ulong seed)
    {
        foreach (var handler in _restartable) handler.Restart(seed, this);
    }

    /// <summary>The job just restarted was started by <paramref name="call"/> (see <see cref="IRestartable.Started"/>).</summary>
    internal void Started(SyscallEvent call)
    {
        foreach (var handler in _restartable) handler.Started(call, this);
    }

    /// <summary>
    /// Per-sandbox state of a handler (handlers may outlive one sandbox); disposable state is disposed when the
    /// sandbox ends, or, when a handler is still at work then, as soon as the last one returns.
    /// </summary>
    public T State<T>(Func<T> create) where T : class => (T)_state.GetOrAdd(typeof(T), _ => create());

    /// <summary>A held call is being handled: its handlers may use <see cref="State"/> until <see cref="CallFinished"/>.</summary>
    internal void CallStarted()
    {
        lock (_lifetime) _handling++;
    }

    /// <summary>The call's handlers have decided (its answer may still be on its way).</summary>
    internal void CallFinished()
    {
        lock (_lifetime)
        {
            if (--_handling == 0 && _ended) ReleaseState();
        }
    }

    /// <summary>Whether the sandbox has ended (its processes may still be dying, with calls on their way).</summary>
    internal bool Ended
    {
        get { lock (_lifetime) return _ended; }
    }

    /// <summary>The sandbox has ended: releases what handlers kept for it once none is at work.</summary>
    internal void End()
    {
        lock (_lifetime)
        {
            _ended = true;
            if (_handling == 0) ReleaseState();
        }
    }

    // A call still arriving after the end (a process being killed) makes state anew; this releases that too.
    private void ReleaseState()
    {
        foreach (var type in _state.Keys)
            if (_state.TryRemove(type, out var state) && state is IDisposable disposable) disposable.Dispose();
    }

    public void Report(PortMapping mapping)
    {
        _ports.Enqueue(mapping);
        try { OnPortMapped?.Invoke(mapping); }
        catch (Exception) { /* an observer's bug must not fail the child's bind */ }
    }

    /// <summary>The handlers that want this call; a handler that holds a syscall only for some arguments sees only those.</summary>
    internal bool TryGetHandlers(int nr, IReadOnlyList<ulong> args, out IReadOnlyList<SyscallHandler> handlers, out string name)
    {
        // Every held call passes here: no name made and no list built unless the call needs one.
        name = _names.TryGetValue(nr, out var known) ? known : $"syscall {nr}";
        if (_countSlots.TryGetValue(nr, out var slot)) Interlocked.Increment(ref _counts[slot]);
        if (_unconditional.TryGetValue(nr, out var all))
        {
            handlers = all;
            return true;
        }
        if (!_handlers.TryGetValue(nr, out var chain))
        {
            handlers = [];
            return false;
        }
        var wanted = new List<SyscallHandler>(chain.Count);
        foreach (var (handler, when) in chain)
            if (when is null || when.Matches(args)) wanted.Add(handler);
        handlers = wanted;
        return true;
    }

    /// <summary>Fail closed: a supervisor fault ends the sandbox rather than letting anything through.</summary>
    internal void Kill(string reason)
    {
        Fault ??= reason;
        _denials.Enqueue(new Denial("supervisor", reason, RootPid, "supervisor fault: sandbox killed"));
        _kill?.Invoke(reason);
    }
}
