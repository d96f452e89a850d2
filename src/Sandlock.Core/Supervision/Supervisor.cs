using Sandlock.Interop;

namespace Sandlock.Supervision;

/// <summary>
/// Serves the seccomp listeners of the process's supervised sandboxes: each on a thread of its own from its first
/// held call, beyond <see cref="MaxDedicatedThreads"/> on the <see cref="EventLoop"/>; handlers that may block
/// finish on the thread pool. Fails closed: a held syscall without a handler is refused, a handler fault
/// kills its sandbox.
/// </summary>
internal static class Supervisor
{

    /// <summary>
    /// Sessions beyond this share the event loop. Up to it, each has a thread blocked in the receive ioctl, as
    /// the C reference is: an epoll wake-up in between doubles a round trip on this kind of VM.
    /// </summary>
    private const int MaxDedicatedThreads = 32;
    private static int _dedicated;

    public static void Register(SupervisedSession session)
    {
        // A session that will hold a call at once gets its thread now, on the starting thread: from the event loop,
        // thread starts for many sandboxes starting together (a test run's children) would queue behind each other
        // and behind every child's exit.
        if (session.HoldsStartCalls)
        {
            AssignServer(session);
            return;
        }
        if (DedicatedThread.TryHandOff(session)) return;
        // Otherwise whether a thread is needed at all shows with the first held call: a command that makes none
        // (most runs of the CLI) never pays for one.
        EventLoop.Add(new FirstCallWatch(session));
    }

    /// <summary>Gives a session with a held call waiting the server it will keep: an idle thread, a new one, or the loop.</summary>
    private static void AssignServer(SupervisedSession session)
    {
        if (DedicatedThread.TryHandOff(session)) return;
        if (Interlocked.Increment(ref _dedicated) <= MaxDedicatedThreads)
        {
            new DedicatedThread(session).Start();
            return;
        }
        Interlocked.Decrement(ref _dedicated);
        EventLoop.Add(new SharedWatch(session));
    }

    /// <summary>A listener waiting for its first held call, or for its sandbox to end without one.</summary>
    private sealed class FirstCallWatch(SupervisedSession session) : EventLoop.Watch(session.Listener)
    {
        public override bool OnReady(uint events)
        {
            // Out of the set before another thread may close the listener.
            EventLoop.Remove(this);
            if ((events & Libc.EPOLLIN) != 0) AssignServer(session);
            else Libc.Close(session.Listener);
            return true;
        }
    }

    /// <summary>
    /// A session beyond the dedicated threads, served on the event loop: one receive per readiness, as the listener
    /// blocks when nothing is pending.
    /// </summary>
    private sealed class SharedWatch(SupervisedSession session) : EventLoop.Watch(session.Listener)
    {
        public override bool OnReady(uint events)
        {
            if ((events & Libc.EPOLLIN) != 0)
            {
                Serve(session);
                return false;
            }
            // Every process using the filter has exited: nothing more can arrive on this listener.
            EventLoop.Remove(this);
            Libc.Close(session.Listener);
            return true;
        }
    }

    /// <summary>
    /// A thread that serves one session at a time in the receive ioctl, then waits a while for the next: starting a
    /// thread costs a few hundred microseconds of every supervised spawn, handing a session to an idle one tens.
    /// </summary>
    private sealed class DedicatedThread(SupervisedSession first)
    {
        private static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(30);
        private static readonly object Gate = new();
        private static readonly Queue<SupervisedSession> Pending = new();
        // Idle threads not yet promised a pending session; guarded by Gate.
        private static int _idle;

        public static bool TryHandOff(SupervisedSession session)
        {
            lock (Gate)
            {
                if (_idle == 0) return false;
                _idle--;
                Pending.Enqueue(session);
                Monitor.Pulse(Gate);
                return true;
            }
        }

        public void Start() => new Thread(Run) { IsBackground = true, Name = "sandlock supervisor (session)" }.Start();

        private void Run()
        {
            try
            {
                var session = first;
                while (true)
                {
                    ServeDedicated(session);
                    lock (Gate)
                    {
                        _idle++;
                        while (Pending.Count == 0)
                        {
                            if (Monitor.Wait(Gate, IdleLifetime) || Pending.Count > 0) continue;
                            _idle--;
                            return;
                        }
                        session = Pending.Dequeue();
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref _dedicated);
            }
        }
    }

    private static void ServeDedicated(SupervisedSession session)
    {
        // ENOENT: a held call vanished (its caller was killed), or every process of the sandbox is gone.
        while (Serve(session) || !Libc.IsHungUp(session.Listener)) { }
        Libc.Close(session.Listener);
    }

    /// <summary>Receives and answers one held call; false when the receive failed.</summary>
    private static bool Serve(SupervisedSession session)
    {
        if (!SeccompNotify.Receive(session.Listener, out var notification)) return false;
        var args = notification.Arguments();
        if (!session.TryGetHandlers(notification.Nr, args, out var handlers, out var name))
        {
            session.Deny(new Denial(name, "", (int)notification.Pid, "held by the filter but no handler: refused"));
            Answer(session, notification.Id, SyscallDecision.Deny(Errno.EPERM));
            return true;
        }
        var call = new SyscallEvent(notification.Id, (int)notification.Pid, notification.Nr, name, args);
        ValueTask<SyscallDecision> pending;
        session.CallStarted();
        try
        {
            pending = handlers.Count == 1 ? handlers[0].HandleAsync(call, session) : Chain(handlers, call, session);
        }
        catch (Exception e)
        {
            session.CallFinished();
            Fault(session, call, e);
            return true;
        }
        if (!pending.IsCompletedSuccessfully)
        {
            _ = FinishAsync(session, call, pending);
            return true;
        }
        // The handlers are done with the sandbox's state once they have decided.
        session.CallFinished();
        Answer(session, call.Id, pending.Result);
        return true;
    }

    /// <summary>
    /// The first decision of the chain that does not let the call continue. Handlers nearly always decide at once: the
    /// chain runs without an async state machine until one does not.
    /// </summary>
    private static ValueTask<SyscallDecision> Chain(IReadOnlyList<SyscallHandler> handlers, SyscallEvent call, SupervisedSession session)
    {
        for (var i = 0; i < handlers.Count; i++)
        {
            var pending = handlers[i].HandleAsync(call, session);
            if (!pending.IsCompletedSuccessfully) return ChainAsync(handlers, i, pending, call, session);
            if (pending.Result.Action != SyscallDecision.Kind.Continue) return pending;
        }
        return ValueTask.FromResult(SyscallDecision.Allow);
    }

    private static async ValueTask<SyscallDecision> ChainAsync(IReadOnlyList<SyscallHandler> handlers, int at, ValueTask<SyscallDecision> pending,
        SyscallEvent call, SupervisedSession session)
    {
        var decision = await pending.ConfigureAwait(false);
        for (var i = at + 1; decision.Action == SyscallDecision.Kind.Continue && i < handlers.Count; i++)
            decision = await handlers[i].HandleAsync(call, session).ConfigureAwait(false);
        return decision.Action == SyscallDecision.Kind.Continue ? SyscallDecision.Allow : decision;
    }

    private static async Task FinishAsync(SupervisedSession session, SyscallEvent call, ValueTask<SyscallDecision> pending)
    {
        SyscallDecision decision;
        try
        {
            decision = await pending.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            session.CallFinished();
            Fault(session, call, e);
            return;
        }
        session.CallFinished();
        Answer(session, call.Id, decision);
    }

    private static void Fault(SupervisedSession session, SyscallEvent call, Exception e)
    {
        Answer(session, call.Id, SyscallDecision.Deny(Errno.EPERM));
        session.Kill($"handler for {call.Name} failed: {e.GetType().Name}: {e.Message}");
    }

    private static void Answer(SupervisedSession session, ulong id, SyscallDecision decision)
    {
        if (decision.Action == SyscallDecision.Kind.Answered) return;
        var response = decision.Action switch
        {
            SyscallDecision.Kind.Continue => new SeccompNotify.Response { Id = id, Flags = SeccompNotify.FlagContinue },
            SyscallDecision.Kind.Return => new SeccompNotify.Response { Id = id, Value = decision.Value },
            _ => new SeccompNotify.Response { Id = id, Error = -Math.Max(decision.Errno, 1) },
        };
        // A failed send means the caller is gone (killed while waiting): nothing is left to answer.
        SeccompNotify.Send(session.Listener, response);
    }
}
