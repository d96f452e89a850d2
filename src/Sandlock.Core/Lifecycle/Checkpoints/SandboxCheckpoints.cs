using Sandlock.Policy;

namespace Sandlock.Lifecycle.Checkpoints;

/// <summary>
/// What <see cref="Sandbox.CheckpointAsync"/> and <c>Sandbox.RestoreAsync</c> do: refuse what is not supported,
/// run the capture or the restore on a thread of its own (ptrace binds a tracee to the thread that seized it), and
/// leave nothing half-made.
/// </summary>
internal static class SandboxCheckpoints
{
    public const string StubName = "sandlock-restore";

    // notCarried: what confined the sandbox besides its policy (a policy callback), which the folder cannot keep.
    public static Task CheckpointAsync(int pid, SandboxPolicy policy, string? notCarried, IReadOnlyList<string> command, string folder, Action? whileStopped,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentException.ThrowIfNullOrEmpty(folder);
        RefuseUnsupported(policy, "checkpoint");
        folder = Path.GetFullPath(folder);
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
            throw new SandboxCheckpointException($"{folder}: the checkpoint folder is not empty");
        var made = !Directory.Exists(folder);
        return OnOwnThread(() =>
        {
            try
            {
                ProcessCapture.Capture(pid, command, folder, image => CheckpointPolicy.Write(folder, image, policy, notCarried), whileStopped);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                RemoveWhatWasWritten(folder, made);
                // /proc/PID vanishes when the process ends mid-capture; the folder may be unwritable.
                throw new SandboxCheckpointException($"checkpoint of pid {pid} into {folder} failed: {e.Message}");
            }
            catch
            {
                RemoveWhatWasWritten(folder, made);
                throw;
            }
        });
    }

    // A null policy: the policy stored in the folder confines the restored process.
    public static async Task<Sandbox> RestoreAsync(string folder, SandboxPolicy? policy, StdioMode stdio, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (policy is not null) RefuseUnsupported(policy, "restore");
        folder = Path.GetFullPath(folder);
        var image = Restorer.Load(folder);
        if (policy is null)
        {
            policy = CheckpointPolicy.Read(folder, image);
            RefuseUnsupported(policy, "restore");
        }
        var stub = StubPath();
        var sandbox = new Sandbox(WithStub(policy, stub), [stub], stdio);
        sandbox.Start();
        try
        {
            await OnOwnThread(() => Restorer.Restore(sandbox.Pid!.Value, stub, folder, image)).ConfigureAwait(false);
            sandbox.RunsRestoredCommand(image.Command);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await sandbox.DisposeAsync().ConfigureAwait(false);
            throw new SandboxCheckpointException($"restore from {folder} failed: {e.Message}");
        }
        catch
        {
            await sandbox.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return sandbox;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SandboxPolicy, SandboxPolicy> StubPolicies = new();

    /// <summary>
    /// The stub must be executable inside the sandbox; it is the only path added, and running it again later gives the
    /// process nothing: it waits for a supervisor that never comes. One per policy, so that restores with the same
    /// policy reuse its Landlock ruleset (cached by policy).
    /// </summary>
    private static SandboxPolicy WithStub(SandboxPolicy policy, string stub) =>
        !policy.ConfinesFilesystem ? policy
            : StubPolicies.GetValue(policy, p => p with { FsReadable = [.. p.FsReadable, stub] });

    /// <summary>Policies whose view of files differs from the host's: paths saved or reopened would not mean the same.</summary>
    private static void RefuseUnsupported(SandboxPolicy policy, string what)
    {
        string? setting = policy switch
        {
            { Chroot: not null } => "chroot",
            { FsMounts.IsEmpty: false } => "fs_mount",
            { FsIsolation: not FsIsolation.None } => "fs_isolation",
            { TimeStart: not null } => "time_start",
            _ => null,
        };
        if (setting is not null)
            throw new SandboxCheckpointException($"{what} of a sandbox with {setting} is not supported");
    }

    /// <summary>Where the stub may be: beside the application (a build's output), or where a package restore leaves native assets.</summary>
    public static IReadOnlyList<string> StubCandidates { get; } =
    [
        Path.Combine(AppContext.BaseDirectory, StubName),
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", StubName),
    ];

    private static string StubPath()
    {
        var stub = StubCandidates.FirstOrDefault(File.Exists)
            ?? throw new SandboxCheckpointException($"the restore stub {StubName} is missing (looked in {string.Join(", ", StubCandidates.Distinct())})");
        var mode = File.GetUnixFileMode(stub);
        const UnixFileMode Executable = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        if ((mode & Executable) == Executable) return stub;
        try
        {
            // NuGet does not keep file modes: a stub that came in a package arrives without its execute bits.
            File.SetUnixFileMode(stub, mode | Executable);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxCheckpointException($"the restore stub {stub} is not executable and cannot be made so: {e.Message}");
        }
        return stub;
    }

    private static void RemoveWhatWasWritten(string folder, bool made)
    {
        try
        {
            if (made) Directory.Delete(folder, recursive: true);
            else
                foreach (var name in (string[])[CheckpointImage.FileName, CheckpointImage.MemoryFile, CheckpointImage.RegistersFile, CheckpointImage.ExtendedStateFile, CheckpointPolicy.FileName])
                    File.Delete(Path.Combine(folder, name));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The failure being reported matters more than a leftover file.
        }
    }

    /// <summary>Runs <paramref name="work"/> on a new thread that ends with it, so the ptrace link ends with it too.</summary>
    private static Task OnOwnThread(Action work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                work();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = "sandlock checkpoint" };
        thread.Start();
        return done.Task;
    }
}
