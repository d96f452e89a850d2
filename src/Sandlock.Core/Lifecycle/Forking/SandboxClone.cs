using System.Diagnostics;
using Sandlock.Interop;
using Sandlock.Lifecycle;

namespace Sandlock;

/// <summary>
/// One copy-on-write clone of a fork template (<see cref="Sandbox.ForkAsync"/>): a live process, confined as the
/// template is, with its own stdout pipe. Wait for it, kill, pause or resume it; disposing it kills what is left.
/// </summary>
/// <remarks>
/// Its syscalls are served by the template's supervisor: what it and its descendants are denied shows in its own
/// result, and in the template's. It is the supervisor's child, not the template's; once adopted, the /proc view and
/// calls naming a pid count its tree as the sandbox's (docs/fork-protocol.md).
/// </remarks>
public sealed class SandboxClone : IAsyncDisposable, IDisposable
{
    private readonly TaskCompletionSource<SandboxResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ChildWatcher.OutputPipe _stdout;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _ownGroup;
    private int _signalFd;
    private volatile bool _killed;
    private volatile bool _timedOut;
    private readonly System.Collections.Concurrent.ConcurrentQueue<Denial> _denials = new();
    private readonly Supervision.Lifetime.CloneMembers? _members;

    internal SandboxClone(int cloneId, int pid, int pidFd, int stdoutRead, bool ownGroup, Supervision.Lifetime.CloneMembers? members)
    {
        CloneId = cloneId;
        Pid = pid;
        _ownGroup = ownGroup;
        // Before its end can be seen: a clone left registered after its reaping would make a recycled pid a member.
        _members = members;
        _members?.Add(pid, _denials);
        // The watcher closes pidFd once it reaps the clone; signals go through a copy that lives as long as this handle.
        _signalFd = Libc.Dup(pidFd);
        Libc.SetNonBlocking(stdoutRead);
        _stdout = new ChildWatcher.OutputPipe(stdoutRead, null);
        ChildWatcher.Add(_stdout);
        ChildWatcher.Add(new ChildWatcher.ChildExit(pidFd, ownGroup ? pid : 0, [_stdout], Complete));
    }

    /// <summary>Its CLONE_ID: 0, 1, ... in the order the template made them.</summary>
    public int CloneId { get; }

    public int Pid { get; }

    internal bool HasEnded => _completion.Task.IsCompleted;

    /// <summary>Its exit status, its stdout (stderr is the template's) and what the supervisor denied its tree.</summary>
    public Task<SandboxResult> WaitAsync(CancellationToken cancellationToken = default) =>
        _completion.Task.WaitAsync(cancellationToken).ContinueWith(t =>
        {
            if (t.IsCanceled) Kill();
            return t;
        }, TaskScheduler.Default).Unwrap();

    public void Kill()
    {
        _killed = true;
        SignalTree(Libc.SIGKILL);
    }

    /// <summary>Its template's timeout ran out: killed, and its result says timed out.</summary>
    internal void TimeOut()
    {
        _timedOut = true;
        Kill();
    }

    public void Pause() => SignalTree(Libc.SIGSTOP);

    public void Resume() => SignalTree(Libc.SIGCONT);

    private void SignalTree(int signal)
    {
        if (_completion.Task.IsCompleted) return;
        lock (_completion)
        {
            if (_signalFd >= 0) ForkCalls.Signal(_signalFd, signal);
        }
        // Its own process group (the norm) also holds whatever it has forked.
        if (_ownGroup && !_completion.Task.IsCompleted) Libc.KillGroup(Pid, signal);
    }

    private void Complete(int code, int status)
    {
        _members?.Remove(Pid);
        _clock.Stop();
        var exit = ExitStatus.FromWait(code, status, _timedOut, _killed && !_timedOut);
        _completion.TrySetResult(new SandboxResult(Pid, exit, _stdout.ToArray(), [], _clock.Elapsed) { Denials = [.. _denials] });
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _completion.Task.ConfigureAwait(false);
        CloseSignalFd();
    }

    public void Dispose()
    {
        Kill();
        _completion.Task.ContinueWith(_ => CloseSignalFd(), TaskScheduler.Default);
    }

    private void CloseSignalFd()
    {
        lock (_completion)
        {
            Libc.CloseQuietly(_signalFd);
            _signalFd = -1;
        }
    }
}
