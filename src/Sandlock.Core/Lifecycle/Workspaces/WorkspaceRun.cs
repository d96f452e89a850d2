using Sandlock.Interop;
using Sandlock.Policy;
using Sandlock.Supervision.Workspaces;

namespace Sandlock.Lifecycle.Workspaces;

/// <summary>What became of a run's changes: the list, what was done with them, and where they were kept.</summary>
internal sealed record WorkspaceOutcome(IReadOnlyList<WorkspaceChange> Changes, BranchAction Action, string? KeptAt, string? Refused);

/// <summary>
/// One run's copy-on-write layer: made in fs_storage before the run starts (after finishing what crashed runs left),
/// held by an flock while the run lives, and committed, thrown away or kept when it ends.
/// </summary>
internal sealed class WorkspaceRun : IDisposable
{
    private readonly int _lockFd;
    private bool _finished;

    private WorkspaceRun(SandboxPolicy policy, WorkspaceLayout layout, int lockFd)
    {
        Policy = policy;
        Layout = layout;
        _lockFd = lockFd;
    }

    /// <summary>The policy the run is started with: the caller's, with this run's upper folder.</summary>
    public SandboxPolicy Policy { get; }

    public WorkspaceLayout Layout { get; }

    /// <summary>A stage of a transaction: its own policy, over this run's layer.</summary>
    public SandboxPolicy For(SandboxPolicy stage) => stage with { WorkspaceUpper = Layout.Upper };

    public static WorkspaceRun Create(SandboxPolicy policy)
    {
        var workdir = policy.Workdir ?? throw new InvalidOperationException("no workdir");
        var storage = Storage(policy);
        if (PathTree.IsSameOrUnder(storage, workdir) || PathTree.IsSameOrUnder(workdir, storage))
            throw new SandboxSetupException(SetupFailure.Sandbox,
                $"workdir {workdir} and fs_storage {storage} overlap: the changes would change the folder they are kept for; give --fs-storage elsewhere");
        WorkspaceCommit.Recover(storage);
        var run = Path.Combine(storage, "run-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)));
        Directory.CreateDirectory(run, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var layout = new WorkspaceLayout(workdir, run);
        // Locked before the run is recorded: a sandlock recovering meanwhile skips a run with no record, and one with
        // a record is locked by its live owner.
        var lockFd = Libc.Open(layout.LiveLock, Libc.O_RDONLY | Libc.O_CLOEXEC | 0x40 /* O_CREAT */, 0x180);
        if (lockFd < 0 || !FileCopy.Lock(lockFd))
        {
            var error = Libc.LastError;
            if (lockFd >= 0) Libc.Close(lockFd);
            WorkspaceCommit.RemoveTree(run);
            throw new SandboxSetupException(SetupFailure.Sandbox, $"workdir: cannot make the run's layer in {storage}: {Libc.ErrorText(error)}");
        }
        Directory.CreateDirectory(layout.Upper);
        File.WriteAllText(layout.LowerRecord, workdir + "\n");
        return new WorkspaceRun(policy with { WorkspaceUpper = layout.Upper }, layout, lockFd);
    }

    /// <summary>fs_storage, or a folder of this user's own under the temp dir, made 0700.</summary>
    private static string Storage(SandboxPolicy policy)
    {
        var storage = policy.FsStorage ?? Path.Combine(Path.GetTempPath(), $"sandlock-cow-{SystemInfo.EffectiveUserId()}");
        try
        {
            Directory.CreateDirectory(storage, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxSetupException(SetupFailure.Sandbox, $"fs_storage: cannot make {storage}: {e.Message}");
        }
        var real = LibcPaths.RealPath(storage) ?? storage;
        // The default is shared by name with every user of the temp dir: it must be ours and closed to them.
        if (policy.FsStorage is null && (ChangeList.Status(real) is not { } status || (status.Permissions & 0x3F) != 0 || new DirectoryInfo(real).LinkTarget is not null
            || Owner(real) != SystemInfo.EffectiveUserId()))
            throw new SandboxSetupException(SetupFailure.Sandbox, $"fs_storage: {storage} is not a folder of this user's closed to others; give --fs-storage");
        return real;
    }

    private static uint Owner(string path)
    {
        var fd = Libc.Open(path, Libc.O_PATH | Libc.O_CLOEXEC);
        if (fd < 0) return uint.MaxValue;
        try
        {
            Span<byte> statx = stackalloc byte[256];
            return FileCalls.Statx(fd, 0, 0x8 /* STATX_UID */, statx) == 0 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(statx[0x14..]) : uint.MaxValue;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>
    /// Ends the run: lists its changes, then commits them (<paramref name="succeeded"/>: on_exit, else on_error; a
    /// run that went past max_disk counts as failed), throws them away, or keeps them.
    /// </summary>
    public WorkspaceOutcome Finish(bool succeeded, bool dryRun)
    {
        _finished = true;
        try
        {
            var changes = ChangeList.Of(Layout);
            var overflowed = File.Exists(Layout.Overflowed)
                || (Policy.MaxDisk is { } limit && DiskQuota.Measure(Layout.Upper) > limit.Bytes);
            var action = dryRun ? BranchAction.Abort : succeeded && !overflowed ? Policy.OnExit : Policy.OnError;
            string? refused = null;
            if (overflowed && action == BranchAction.Commit)
            {
                // Nothing half-written is committed, whatever on_error says.
                action = BranchAction.Abort;
                refused = "a write went past max_disk, so the changes are incomplete and were not committed";
            }
            if (action == BranchAction.Commit) WorkspaceCommit.Apply(Layout);
            if (action == BranchAction.Keep) File.WriteAllText(Layout.KeptMark, "");
            else WorkspaceCommit.RemoveTree(Layout.Run);
            return new WorkspaceOutcome(changes, action, action == BranchAction.Keep ? Layout.Run : null, refused);
        }
        finally
        {
            Libc.CloseQuietly(_lockFd);
        }
    }

    /// <summary>A run that never started (or whose end was not seen) leaves nothing: its layer is thrown away.</summary>
    public void Dispose()
    {
        if (_finished) return;
        _finished = true;
        WorkspaceCommit.RemoveTree(Layout.Run);
        Libc.CloseQuietly(_lockFd);
    }
}
