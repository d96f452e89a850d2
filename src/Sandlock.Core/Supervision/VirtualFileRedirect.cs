using Sandlock.Interop;
using Sandlock.Supervision.Determinism;

namespace Sandlock.Supervision;

/// <summary>
/// Holds open/openat and answers opens of chosen paths with an fd to a file of the supervisor's making (the
/// pinned /etc/hosts, a pipe of the seeded /dev/urandom); every other open continues unchanged. Letting those
/// continue is safe even if the child changes the path afterwards: the kernel then opens it under the child's own
/// Landlock rules.
/// </summary>
internal sealed class VirtualFileRedirect : SyscallHandler, IRestartable
{
    private readonly Dictionary<string, VirtualFile> _files;

    public VirtualFileRedirect(IReadOnlyDictionary<string, VirtualFile> files) =>
        _files = new Dictionary<string, VirtualFile>(files, StringComparer.Ordinal);

    public override IReadOnlyCollection<string> Syscalls { get; } = ["open", "openat"];

    private const ulong AccessModes = 3;

    private IEnumerable<VirtualFile> SeededFiles => _files.Values.Where(f => f.IsSeeded).Distinct();

    /// <summary>Seeded files (/dev/urandom) serve the next job's seed from its next open on; open copies keep what they hold.</summary>
    public void Restart(ulong seed, SupervisedSession session)
    {
        foreach (var file in SeededFiles) file.Reseed(seed);
        session.State(() => new OpenedFiles()).Restarted(seed);
    }

    /// <summary>
    /// A seeded file the sandbox has opened before (a .NET runtime reopens /dev/urandom for each test) gets its next
    /// seed's pipe made on the calling thread, ahead of the job's start.
    /// </summary>
    public void Prepare(ulong seed, SupervisedSession session)
    {
        var opened = session.State(() => new OpenedFiles());
        foreach (var file in SeededFiles) opened.Prepare(file, seed);
    }

    /// <summary>
    /// A job started: each copy of a seeded file the starting process was served and still holds is replaced, at its
    /// fd number, by a copy that reads the new seed from its start (a .NET runtime keeps its /dev/urandom open).
    /// </summary>
    public void Started(SyscallEvent call, SupervisedSession session)
    {
        var opened = session.State(() => new OpenedFiles());
        // The caller is a thread: the copies it holds are those served to its process.
        var caller = session.ProcessOf(call.Pid);
        var replaced = new HashSet<int>();
        foreach (var (file, process, fd, closeOnExec, inode) in opened.Served())
        {
            // The process may have closed it since and put something else at that number; it is looked at in the
            // caller's own table, the one the replacement goes to.
            if (process != caller || replaced.Contains(fd) || new FileInfo($"/proc/{call.Pid}/fd/{fd}").LinkTarget != $"pipe:[{inode}]") continue;
            if (opened.OpenSeeded(file) is not { } pipe) continue;
            var fresh = pipe.TakeReadEnd();
            try
            {
                if (SeccompNotify.ReplaceFd(session.Listener, call.Id, fresh, fd, closeOnExec) < 0) continue;
                replaced.Add(fd);
                opened.Served(file, process, fd, closeOnExec, pipe.Inode);
            }
            // Whatever was not handed over leaves the pipe without a reader: its writer ends.
            finally { Libc.Close(fresh); }
        }
    }

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        if (HeldOpen.Read(session, call) is not { } open || !_files.TryGetValue(open.Path, out var file))
            return ValueTask.FromResult(SyscallDecision.Allow);
        // Writing to a seeded device adds to the kernel's pool and reads nothing: the real one, as the policy allows.
        if (file.IsSeeded && (open.Flags & AccessModes) == (ulong)Libc.O_WRONLY) return ValueTask.FromResult(SyscallDecision.Allow);
        var opened = session.State(() => new OpenedFiles());
        var pipe = file.IsSeeded ? opened.OpenSeeded(file) : null;
        var fd = file.IsSeeded ? pipe?.TakeReadEnd() ?? -1 : opened.OpenCopy(file);
        if (fd < 0) return ValueTask.FromResult(SyscallDecision.Deny(Errno.ENOMEM));
        try
        {
            var closeOnExec = (open.Flags & (ulong)Libc.O_CLOEXEC) != 0;
            var installed = SeccompNotify.SendFd(session.Listener, call.Id, fd, closeOnExec);
            if (installed < 0) return ValueTask.FromResult(SyscallDecision.Deny(Errno.ENOMEM));
            if (pipe is not null && session.ProcessOf(call.Pid) is { } process)
                opened.Served(file, process, installed, closeOnExec, pipe.Inode);
            return ValueTask.FromResult(SyscallDecision.Done);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>
    /// What one sandbox was served: the memfds of fixed files, made on its first open of each and closed when it ends
    /// (the copies its processes hold keep the memory until they are closed too), and the pipes of seeded devices,
    /// each open its own, whose writers end with their last reader or the sandbox.
    /// </summary>
    private sealed class OpenedFiles : IDisposable
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<VirtualFile, MemoryFile> _opened = [];
        private readonly Dictionary<VirtualFile, (ulong Seed, SeededPipe Pipe)> _prepared = [];
        private readonly HashSet<VirtualFile> _everOpened = [];
        private readonly HashSet<SeededPipe> _pipes = [];
        // Which process holds which seeded pipe at which fd number; bounded, oldest first out.
        private readonly List<(VirtualFile File, int Process, int Fd, bool CloseOnExec, ulong Inode)> _served = [];
        private const int MaxServed = 64;
        private bool _disposed;

        public void Served(VirtualFile file, int process, int fd, bool closeOnExec, ulong inode)
        {
            lock (_gate)
            {
                _served.RemoveAll(s => s.Process == process && s.Fd == fd);
                if (_served.Count >= MaxServed) _served.RemoveAt(0);
                _served.Add((file, process, fd, closeOnExec, inode));
            }
        }

        public List<(VirtualFile File, int Process, int Fd, bool CloseOnExec, ulong Inode)> Served()
        {
            lock (_gate) return [.. _served];
        }

        /// <summary>A read-only fd of a fixed file's memfd (close-on-exec), or -1.</summary>
        public int OpenCopy(VirtualFile file)
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _everOpened.Add(file);
                if (!_opened.TryGetValue(file, out var memory)) _opened[file] = memory = file.MakeMemoryFile();
                return memory.OpenCopy();
            }
        }

        /// <summary>A new open of a seeded device for the seed it serves now (made ahead when it was prepared for); null when no pipe can be made.</summary>
        public SeededPipe? OpenSeeded(VirtualFile file)
        {
            var seed = file.Seed;
            SeededPipe? stale = null;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _everOpened.Add(file);
                if (_prepared.Remove(file, out var prepared))
                {
                    if (prepared.Seed == seed) return prepared.Pipe;
                    stale = prepared.Pipe;
                }
            }
            stale?.Dispose();
            return NewPipe(file, seed);
        }

        public void Prepare(VirtualFile file, ulong seed)
        {
            lock (_gate)
            {
                if (_disposed || !_everOpened.Contains(file)) return;
            }
            // What fails here fails again at the next open, which reports it.
            if (NewPipe(file, seed) is not { } made) return;
            SeededPipe? stale = null;
            lock (_gate)
            {
                if (_prepared.Remove(file, out var old)) stale = old.Pipe;
                _prepared[file] = (seed, made);
            }
            stale?.Dispose();
        }

        /// <summary>The device serves <paramref name="seed"/> from now on: a pipe made ahead for another is dropped.</summary>
        public void Restarted(ulong seed)
        {
            List<SeededPipe> stale = [];
            lock (_gate)
            {
                foreach (var (file, (madeFor, pipe)) in _prepared.ToList())
                {
                    if (madeFor == seed) continue;
                    _prepared.Remove(file);
                    stale.Add(pipe);
                }
            }
            foreach (var pipe in stale) pipe.Dispose();
        }

        private SeededPipe? NewPipe(VirtualFile file, ulong seed)
        {
            SeededPipe pipe;
            try { pipe = file.OpenSeeded(seed, Finished); }
            catch (Exception e) when (e is IOException or InvalidOperationException) { return null; }
            lock (_gate)
            {
                if (!_disposed)
                {
                    _pipes.Add(pipe);
                    return pipe;
                }
            }
            pipe.Dispose();
            return null;
        }

        private void Finished(SeededPipe pipe)
        {
            lock (_gate) _pipes.Remove(pipe);
        }

        public void Dispose()
        {
            List<SeededPipe> pipes;
            lock (_gate)
            {
                _disposed = true;
                foreach (var memory in _opened.Values) memory.Dispose();
                _opened.Clear();
                _prepared.Clear();
                pipes = [.. _pipes];
            }
            foreach (var pipe in pipes) pipe.Dispose();
        }
    }
}
