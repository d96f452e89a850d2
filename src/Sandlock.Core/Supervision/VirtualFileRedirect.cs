using Sandlock.Interop;

namespace Sandlock.Supervision;

/// <summary>
/// Holds open/openat and answers opens of chosen paths with an fd to a file of the supervisor's making (the
/// pinned /etc/hosts, seeded /dev/urandom); every other open continues unchanged. Letting those continue is safe even if the child
/// changes the path afterwards: the kernel then opens it under the child's own Landlock rules.
/// </summary>
internal sealed class VirtualFileRedirect : SyscallHandler, IRestartable
{
    private readonly Dictionary<string, VirtualFile> _files;

    public VirtualFileRedirect(IReadOnlyDictionary<string, VirtualFile> files) =>
        _files = new Dictionary<string, VirtualFile>(files, StringComparer.Ordinal);

    public override IReadOnlyCollection<string> Syscalls { get; } = ["open", "openat"];

    /// <summary>Seeded files (/dev/urandom) serve the next job's seed from its next open on; open copies keep what they hold.</summary>
    public void Restart(ulong seed, SupervisedSession session)
    {
        var opened = session.State(() => new OpenedFiles());
        foreach (var file in _files.Values.Where(f => f.IsSeeded).Distinct())
        {
            file.Reseed(seed);
            opened.Forget(file, seed);
        }
    }

    /// <summary>
    /// A seeded file the sandbox has opened before (a .NET runtime reopens /dev/urandom for each test) is made for the
    /// next seed, on the calling thread: 256 KiB of cipher output and a memfd otherwise held the job's start.
    /// </summary>
    public void Prepare(ulong seed, SupervisedSession session)
    {
        var opened = session.State(() => new OpenedFiles());
        foreach (var file in _files.Values.Where(f => f.IsSeeded).Distinct()) opened.Prepare(file, seed);
    }

    /// <summary>
    /// A job started: each copy of a seeded file the starting process was served and still holds is replaced, at its
    /// fd number, by a copy that reads the new seed from its start (a .NET runtime keeps its /dev/urandom open).
    /// </summary>
    public void Started(SyscallEvent call, SupervisedSession session)
    {
        var opened = session.State(() => new OpenedFiles());
        // The caller is a thread: whose copies it holds is found by looking for it among each process's threads,
        // one lookup where reading its status cost tens of microseconds of every job's start.
        var callerOf = new Dictionary<int, bool>();
        var replaced = new HashSet<int>();
        foreach (var (file, process, fd, closeOnExec) in opened.Served())
        {
            if (!callerOf.TryGetValue(process, out var isCaller))
                callerOf[process] = isCaller = process == call.Pid || Directory.Exists($"/proc/{process}/task/{call.Pid}");
            // The process may have closed it since and put something else at that number; it is looked at in the
            // caller's own table, the one the replacement goes to.
            if (!isCaller || replaced.Contains(fd)
                || new FileInfo($"/proc/{call.Pid}/fd/{fd}").LinkTarget is not { } target || !target.StartsWith("/memfd:sandlock-" + file.Name + " ", StringComparison.Ordinal))
                continue;
            var fresh = opened.OpenCopy(file);
            if (fresh < 0) continue;
            try
            {
                if (SeccompNotify.ReplaceFd(session.Listener, call.Id, fresh, fd, closeOnExec) >= 0) replaced.Add(fd);
            }
            finally { Libc.Close(fresh); }
        }
    }

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        if (HeldOpen.Read(session, call) is not { } open || !_files.TryGetValue(open.Path, out var file))
            return ValueTask.FromResult(SyscallDecision.Allow);
        var fd = session.State(() => new OpenedFiles()).OpenCopy(file);
        if (fd < 0) return ValueTask.FromResult(SyscallDecision.Deny(Errno.ENOMEM));
        try
        {
            var closeOnExec = (open.Flags & (ulong)Libc.O_CLOEXEC) != 0;
            var installed = SeccompNotify.SendFd(session.Listener, call.Id, fd, closeOnExec);
            if (installed < 0) return ValueTask.FromResult(SyscallDecision.Deny(Errno.ENOMEM));
            if (file.IsSeeded && Processes.ThreadGroups.Of(call.Pid) is { } process)
                session.State(() => new OpenedFiles()).Served(file, process, installed, closeOnExec);
            return ValueTask.FromResult(SyscallDecision.Done);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>
    /// The memfds of one sandbox, made on its first open of each file and closed when it ends (the copies its
    /// processes hold keep the memory until they are closed too).
    /// </summary>
    private sealed class OpenedFiles : IDisposable
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<VirtualFile, MemoryFile> _opened = [];
        private readonly Dictionary<VirtualFile, (ulong Seed, MemoryFile Made)> _prepared = [];
        private readonly HashSet<VirtualFile> _everOpened = [];
        // Which process holds a copy of which seeded file at which fd number; bounded, oldest first out.
        private readonly List<(VirtualFile File, int Process, int Fd, bool CloseOnExec)> _served = [];
        private const int MaxServed = 64;
        private bool _disposed;

        public void Served(VirtualFile file, int process, int fd, bool closeOnExec)
        {
            lock (_gate)
            {
                _served.RemoveAll(s => s.Process == process && s.Fd == fd);
                if (_served.Count >= MaxServed) _served.RemoveAt(0);
                _served.Add((file, process, fd, closeOnExec));
            }
        }

        public List<(VirtualFile File, int Process, int Fd, bool CloseOnExec)> Served()
        {
            lock (_gate) return [.. _served];
        }

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

        public void Prepare(VirtualFile file, ulong seed)
        {
            lock (_gate)
            {
                if (_disposed || !_everOpened.Contains(file)) return;
            }
            MemoryFile made;
            // What fails here fails again at the next open, which makes the file itself and reports it.
            try { made = file.MakeMemoryFile(seed); }
            catch (Exception) { return; }
            lock (_gate)
            {
                if (_disposed)
                {
                    made.Dispose();
                    return;
                }
                if (_prepared.Remove(file, out var stale)) stale.Made.Dispose();
                _prepared[file] = (seed, made);
            }
        }

        /// <summary>The file serves <paramref name="seed"/> from now on: made ahead for it, or at the next open.</summary>
        public void Forget(VirtualFile file, ulong seed)
        {
            lock (_gate)
            {
                if (_opened.Remove(file, out var memory)) memory.Dispose();
                if (!_prepared.Remove(file, out var prepared)) return;
                if (prepared.Seed == seed) _opened[file] = prepared.Made;
                else prepared.Made.Dispose();
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                foreach (var memory in _opened.Values) memory.Dispose();
                foreach (var (_, made) in _prepared.Values) made.Dispose();
                _opened.Clear();
                _prepared.Clear();
            }
        }
    }
}
