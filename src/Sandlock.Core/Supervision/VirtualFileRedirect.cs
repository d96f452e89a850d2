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
    /// next seed in the background: 256 KiB of cipher output and a memfd otherwise held the job's first open.
    /// </summary>
    public void Prepare(ulong seed, SupervisedSession session)
    {
        var opened = session.State(() => new OpenedFiles());
        foreach (var file in _files.Values.Where(f => f.IsSeeded).Distinct()) opened.Prepare(file, seed);
    }

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        if (HeldOpen.Read(session, call) is not { } open || !_files.TryGetValue(open.Path, out var file))
            return ValueTask.FromResult(SyscallDecision.Allow);
        var fd = session.State(() => new OpenedFiles()).OpenCopy(file);
        if (fd < 0) return ValueTask.FromResult(SyscallDecision.Deny(Errno.ENOMEM));
        try
        {
            var installed = SeccompNotify.SendFd(session.Listener, call.Id, fd, (open.Flags & (ulong)Libc.O_CLOEXEC) != 0);
            return ValueTask.FromResult(installed >= 0 ? SyscallDecision.Done : SyscallDecision.Deny(Errno.ENOMEM));
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
        private readonly Dictionary<VirtualFile, Task<MemoryFile>> _opened = [];
        private readonly Dictionary<VirtualFile, (ulong Seed, Task<MemoryFile> Making)> _prepared = [];
        private readonly HashSet<VirtualFile> _everOpened = [];

        public int OpenCopy(VirtualFile file)
        {
            Task<MemoryFile> memory;
            lock (_gate)
            {
                if (!_opened.TryGetValue(file, out memory!))
                    _opened[file] = memory = Task.FromResult(file.MakeMemoryFile());
                _everOpened.Add(file);
            }
            // A prepared file is most often made by now; its failure is this open's, as if made here.
            return memory.GetAwaiter().GetResult().OpenCopy();
        }

        public void Prepare(VirtualFile file, ulong seed)
        {
            lock (_gate)
            {
                if (!_everOpened.Contains(file)) return;
                if (_prepared.Remove(file, out var stale)) DisposeWhenMade(stale.Making);
                _prepared[file] = (seed, Task.Run(() => file.MakeMemoryFile(seed)));
            }
        }

        /// <summary>The file serves <paramref name="seed"/> from now on: made ahead for it, or at the next open.</summary>
        public void Forget(VirtualFile file, ulong seed)
        {
            lock (_gate)
            {
                if (_opened.Remove(file, out var memory)) DisposeWhenMade(memory);
                if (!_prepared.Remove(file, out var prepared)) return;
                if (prepared.Seed == seed) _opened[file] = prepared.Making;
                else DisposeWhenMade(prepared.Making);
            }
        }

        private static void DisposeWhenMade(Task<MemoryFile> memory) =>
            memory.ContinueWith(static made => made.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        public void Dispose()
        {
            lock (_gate)
            {
                foreach (var memory in _opened.Values) DisposeWhenMade(memory);
                foreach (var (_, making) in _prepared.Values) DisposeWhenMade(making);
                _opened.Clear();
                _prepared.Clear();
            }
        }
    }
}
