using System.Text;
using Sandlock.Interop;

namespace Sandlock.Lifecycle.Forking;

/// <summary>
/// The supervisor's side of a fork template's control socket (docs/fork-protocol.md): waits for READY, then asks for
/// one clone at a time, handing each the write end of its own stdout pipe, and adopts the pid the template answers
/// with only after the kernel confirms it is a clone (our child, in the template's process group).
/// </summary>
internal sealed class TemplateChannel : IDisposable
{
    public const string FdVariable = "SANDLOCK_FORK_FD";
    private const int ChildFd = 3;
    // Small enough that the requests and answers in flight fit the socket's buffers whatever the template does.
    private const int RequestsInFlight = 8;

    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _turn = new(1, 1);
    private int _ours, _theirs;
    private bool _ready, _closed, _clonesKilled;
    private int _nextCloneId;
    private string? _broken;
    private readonly List<SandboxClone> _clones = [];

    private TemplateChannel(int ours, int theirs) => (_ours, _theirs) = (ours, theirs);

    public static TemplateChannel Open()
    {
        var (ours, theirs) = ForkCalls.SeqPacketPair() ?? throw new SandboxSetupException(SetupFailure.Sandbox,
            $"fork template: cannot create its control socket: {Libc.ErrorText(Libc.LastError)}");
        return new TemplateChannel(ours, theirs);
    }

    /// <summary>The template's end becomes its fd 3.</summary>
    public ChildStreams Streams => new(ExtraFds: [_theirs]);

    public static string EnvironmentEntry => $"{FdVariable}={ChildFd}";

    /// <summary>Once the template has started (or failed to): only the template may hold its end.</summary>
    public void CloseTemplateEnd()
    {
        Libc.CloseQuietly(_theirs);
        _theirs = -1;
    }

    // members: the clones of the template's supervisor session, which the adopted clones join; null without a supervisor.
    public async Task<IReadOnlyList<SandboxClone>> ForkAsync(int count, int templatePid, Supervision.Lifetime.CloneMembers? members, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var wake = cancellationToken.Register(() => Break("a fork was cancelled"));
            var clones = await Task.Run(() => ForkAll(count, templatePid, members), CancellationToken.None).ConfigureAwait(false);
            if (!cancellationToken.IsCancellationRequested) return clones;
            foreach (var clone in clones) await clone.DisposeAsync().ConfigureAwait(false);
            throw new OperationCanceledException(cancellationToken);
        }
        catch (SandboxSetupException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (SandboxSetupException error)
        {
            // After a failure the two sides may disagree on where the conversation is: end it (the template reads EOF).
            Break(error.Message);
            throw;
        }
        finally
        {
            _turn.Release();
        }
    }

    private List<SandboxClone> ForkAll(int count, int templatePid, Supervision.Lifetime.CloneMembers? members)
    {
        if (_closed || _broken is not null)
            throw Failure($"{_broken ?? "the template has ended"}{(_ready ? "" : " (it never sent READY)")}");
        Span<byte> reply = stackalloc byte[128];
        if (!_ready)
        {
            var n = ForkCalls.Receive(_ours, reply);
            if (n <= 0) throw Failure("the template ended (or closed fd 3) before it sent READY");
            if (!reply[..n].SequenceEqual("READY"u8)) throw Failure($"expected READY, got '{Printable(reply[..n])}'");
            _ready = true;
        }
        var clones = new List<SandboxClone>(count);
        // Requests sent, answers not yet read: the template forks the next clone while we adopt the last one.
        var asked = new Queue<(int CloneId, int StdoutRead)>();
        try
        {
            var next = 0;
            while (clones.Count < count)
            {
                for (; next < count && asked.Count < RequestsInFlight; next++) asked.Enqueue(Ask(_nextCloneId++));
                var (cloneId, read) = asked.Dequeue();
                clones.Add(Answered(cloneId, templatePid, members, read, reply));
            }
            return clones;
        }
        catch
        {
            foreach (var (_, read) in asked) Libc.CloseQuietly(read);
            foreach (var clone in clones) clone.Dispose();
            throw;
        }
    }

    /// <summary>Sends FORK with the write end of a new stdout pipe; returns the clone id and the read end.</summary>
    private (int CloneId, int StdoutRead) Ask(int cloneId)
    {
        var (read, write) = Libc.CreatePipe() ?? throw Failure($"cannot create clone {cloneId}'s stdout pipe: {Libc.ErrorText(Libc.LastError)}");
        var sent = ForkCalls.SendWithFd(_ours, Encoding.ASCII.GetBytes($"FORK {cloneId}"), write);
        var sendError = Libc.LastError;
        Libc.Close(write);
        if (sent) return (cloneId, read);
        Libc.Close(read);
        throw Failure($"cannot ask for clone {cloneId}: {Libc.ErrorText(sendError)}");
    }

    /// <summary>Reads the template's answer for <paramref name="cloneId"/> and adopts the clone; takes <paramref name="read"/>.</summary>
    private SandboxClone Answered(int cloneId, int templatePid, Supervision.Lifetime.CloneMembers? members, int read, Span<byte> reply)
    {
        try
        {
            var n = ForkCalls.Receive(_ours, reply);
            if (n <= 0) throw Failure($"the template ended before it answered for clone {cloneId}");
            var text = Encoding.ASCII.GetString(reply[..n]);
            var parts = text.Split(' ');
            if (parts is ["FAILED", var failedId, var errno] && failedId == $"{cloneId}" && int.TryParse(errno, out var error))
                throw Failure($"the template could not fork clone {cloneId}: {Libc.ErrorText(error)}");
            if (parts is not ["CLONE", var id, var pidText] || id != $"{cloneId}" || !int.TryParse(pidText, out var pid) || pid <= 0)
                throw Failure($"expected 'CLONE {cloneId} PID', got '{Printable(reply[..n])}'");
            var clone = Adopt(cloneId, pid, templatePid, members, read);
            read = -1;
            lock (_gate)
            {
                if (_clones.Count % 256 == 0) _clones.RemoveAll(c => c.HasEnded);
                _clones.Add(clone);
                // The template's owner disposed it while this clone was being made.
                if (_clonesKilled) clone.Dispose();
            }
            return clone;
        }
        finally
        {
            Libc.CloseQuietly(read);
        }
    }

    /// <summary>
    /// The template could name any pid: a clone is only what the kernel says is our child (forked with CLONE_PARENT)
    /// and in the template's process group. Our own unreaped children cannot be recycled, so the checks hold. The
    /// clone then gets a process group of its own, so that its handle's signals and its end reach its tree only.
    /// </summary>
    private static SandboxClone Adopt(int cloneId, int pid, int templatePid, Supervision.Lifetime.CloneMembers? members, int stdoutRead)
    {
        var pidFd = ForkCalls.PidFdOpen(pid);
        if (pidFd < 0) throw Failure($"clone {cloneId}: pid {pid} names no process");
        try
        {
            if (!ForkCalls.IsOurChild(pidFd))
                throw Failure($"clone {cloneId}: pid {pid} is not a child of the supervisor (a clone is forked with CLONE_PARENT)");
            if (ForkCalls.ProcessGroupOf(pid) != templatePid)
                throw Failure($"clone {cloneId}: pid {pid} is not in the template's process group");
            // Fails (EACCES) only if the clone has already run execve; it then stays in the template's group.
            var ownGroup = ForkCalls.SetProcessGroup(pid, pid) == 0 || ForkCalls.ProcessGroupOf(pid) == pid;
            var clone = new SandboxClone(cloneId, pid, pidFd, stdoutRead, ownGroup, members);
            pidFd = -1;
            return clone;
        }
        finally
        {
            Libc.CloseQuietly(pidFd);
        }
    }

    private static string Printable(ReadOnlySpan<byte> bytes) =>
        new([.. Encoding.ASCII.GetString(bytes).Take(60).Select(c => char.IsControl(c) ? '?' : c)]);

    private static SandboxSetupException Failure(string what) => new(SetupFailure.Sandbox, $"fork template: {what}");

    private void Break(string reason)
    {
        lock (_gate)
        {
            _broken ??= reason;
            if (!_closed) ForkCalls.ShutDown(_ours);
        }
    }

    /// <summary>Whether a clone made so far still runs.</summary>
    public bool HasLiveClones
    {
        get
        {
            lock (_gate) return _clones.Exists(c => !c.HasEnded);
        }
    }

    /// <summary>The template's timeout ran out: every clone still running is killed as timed out.</summary>
    public void TimeOutClones()
    {
        List<SandboxClone> clones;
        lock (_gate) clones = [.. _clones];
        foreach (var clone in clones) clone.TimeOut();
    }

    /// <summary>Kills every clone made so far (the template's owner disposes it: nothing it made may outlive it).</summary>
    public void KillClones()
    {
        foreach (var clone in TakeClones()) clone.Dispose();
    }

    /// <summary>Kills every clone made so far and waits until each is reaped and its fds are closed.</summary>
    public async Task KillClonesAsync()
    {
        var clones = TakeClones();
        foreach (var clone in clones) clone.Kill();
        foreach (var clone in clones) await clone.DisposeAsync().ConfigureAwait(false);
    }

    private List<SandboxClone> TakeClones()
    {
        lock (_gate)
        {
            _clonesKilled = true;
            List<SandboxClone> clones = [.. _clones];
            _clones.Clear();
            return clones;
        }
    }

    /// <summary>Ends the channel: a template blocked on it reads EOF, a fork in progress fails, then the fd is closed.</summary>
    public void Dispose()
    {
        Break("the template has ended");
        CloseTemplateEnd();
        _turn.Wait();
        try
        {
            lock (_gate)
            {
                if (_closed) return;
                _closed = true;
                Libc.CloseQuietly(_ours);
                _ours = -1;
            }
        }
        finally
        {
            _turn.Release();
        }
    }
}
