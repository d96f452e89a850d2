using System.Collections.Concurrent;
using Sandlock.Interop;

namespace Sandlock.Supervision;

/// <summary>
/// The job boundaries of a sandbox that runs several jobs in turn (a shared test child running a batch of tests):
/// the owner queues each job's seed and folder, and the child opens <see cref="SignalPath"/> (a real, empty file) as
/// each job starts. That open is held here, and before the kernel performs it: the folder of the job before is
/// removed (nothing it left reaches the next job), the job's own folder is made, and the sandbox's seeded streams
/// and clocks restart with the job's seed; the child goes on from the open with the job's own randomness, time and
/// folder, without a round trip to the owner: the copies of a seeded device the caller's process holds open are
/// renewed in place, at the same fd numbers, to read the job's seed from its start. The open itself is not changed: the kernel performs it under the
/// child's Landlock rules. A folder that cannot be removed or made fails the open (EIO): the job does not start.
/// </summary>
internal sealed class JobStarts(string signalPath) : SyscallHandler
{
    private readonly ConcurrentQueue<(ulong Seed, string? Folder)> _queued = new();
    private readonly Lock _gate = new();
    private readonly List<int> _denialsAtStart = [];
    private string? _lastFolder;

    /// <summary>The file the child opens when a job starts, as the child names it.</summary>
    public string SignalPath { get; } = signalPath;

    public override IReadOnlyCollection<string> Syscalls => HeldOpen.Syscalls;

    /// <summary>The next job (after those queued before) starts with <paramref name="seed"/> and, when given, a new empty <paramref name="folder"/> (a host path).</summary>
    public void Queue(ulong seed, string? folder) => _queued.Enqueue((seed, folder));

    /// <summary>Forgets the jobs queued and not started (the child that would have run them is gone).</summary>
    public void ClearQueue() => _queued.Clear();

    /// <summary>How many jobs have started so far.</summary>
    public int Started
    {
        get { lock (_gate) return _denialsAtStart.Count; }
    }

    /// <summary>How many of the supervisor's denials had been recorded when job <paramref name="job"/> (from 0) started.</summary>
    public int DenialsBefore(int job)
    {
        lock (_gate) return _denialsAtStart[job];
    }

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        if (HeldOpen.Read(session, call) is not { Path: var path } || path != SignalPath || !_queued.TryDequeue(out var job))
            return ValueTask.FromResult(SyscallDecision.Allow);
        lock (_gate)
        {
            if (!ReplaceFolder(job.Folder)) return ValueTask.FromResult(SyscallDecision.Deny(Errno.EIO));
            _denialsAtStart.Add(session.DenialCount);
        }
        session.Restart(job.Seed);
        session.Started(call);
        if (!_queued.TryPeek(out var next)) return ValueTask.FromResult(SyscallDecision.Allow);
        // The job goes on at once, and the next one's files are made here while it runs: on the thread pool they
        // waited behind the owner's work and were often not ready when the next job started.
        SeccompNotify.Send(session.Listener, new SeccompNotify.Response { Id = call.Id, Flags = SeccompNotify.FlagContinue });
        session.Prepare(next.Seed);
        return ValueTask.FromResult(SyscallDecision.Done);
    }

    private bool ReplaceFolder(string? folder)
    {
        try
        {
            var last = _lastFolder;
            _lastFolder = folder;
            // A job most often leaves its folder empty: renamed, it is the next one's (a removal and a creation cost a
            // disk block each on ext4, and a discard waits for the disk); anything found in it after is removed.
            if (last is not null && folder is not null && IsEmpty(last))
            {
                Directory.Move(last, folder);
                if (!IsEmpty(folder)) EmptyFolder(folder);
                return true;
            }
            if (last is not null && Directory.Exists(last)) Directory.Delete(last, recursive: true);
            if (folder is not null)
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool IsEmpty(string folder) => Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any();

    private static void EmptyFolder(string folder)
    {
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo { LinkTarget: null } directory) directory.Delete(recursive: true);
            else entry.Delete();
        }
    }
}
