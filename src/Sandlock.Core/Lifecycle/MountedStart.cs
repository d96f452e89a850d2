using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Lifecycle;

/// <summary>
/// What a start needs when the command or its working directory lies in a mount: a mount's host folder is not
/// reachable by path from inside the sandbox, so the working directory is handed over as an fd, and the command's
/// path gets room for the supervisor to point the execve at the file it opens (see <c>Supervision.Mounts</c>).
/// </summary>
internal sealed class MountedStart : IDisposable
{
    // Leading slashes change nothing for the kernel and leave room for "/proc/self/fd/N".
    private const int ExecPathRoom = 24;

    private MountedStart(string path, string? workingDirectory, int workingDirectoryFd)
    {
        Path = path;
        WorkingDirectory = workingDirectory;
        WorkingDirectoryFd = workingDirectoryFd;
    }

    public string Path { get; }

    /// <summary>The directory the shim changes to by name (inside the chroot, if any); null to stay.</summary>
    public string? WorkingDirectory { get; }

    public int WorkingDirectoryFd { get; }

    public static MountedStart For(SandboxPolicy policy, string path, string? workingDirectory)
    {
        if (policy.WorkspaceUpper is not null && workingDirectory is not null && policy.Workdir is { } workdir && PathTree.IsSameOrUnder(workingDirectory, workdir))
            return InWorkspace(policy, path, workingDirectory);
        var root = ChildRoot.Of(policy);
        if (root.MountOf(path).Mount is not null && path.Length < ExecPathRoom) path = new string('/', ExecPathRoom - path.Length) + path;
        if (workingDirectory is null || root.MountOf(workingDirectory).Mount is null) return new MountedStart(path, workingDirectory, -1);
        var host = root.HostPathOf(workingDirectory);
        var fd = Libc.Open(host, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (fd < 0)
            throw new SandboxSetupException(SetupFailure.Sandbox,
                $"cannot open the working directory {workingDirectory} (mounted from {host}): {Libc.ErrorText(Libc.LastError)}");
        // Under a chroot the shim has moved to its root first; the fd then takes it into the mount.
        return new MountedStart(path, policy.Chroot is null ? null : "/", fd);
    }

    /// <summary>
    /// A command started in its workdir starts in the upper folder's copy of that folder: the kernel then finds the
    /// files the command makes there by their relative paths (a script it writes and runs, say).
    /// </summary>
    private static MountedStart InWorkspace(SandboxPolicy policy, string path, string workingDirectory)
    {
        var layout = Supervision.Workspaces.WorkspaceLayout.Of(policy);
        var rest = System.IO.Path.GetRelativePath(layout.Lower, workingDirectory) is var relative and not "." ? relative : "";
        using (var tree = new Supervision.Workspaces.WorkspaceTree(layout, maxDisk: null))
            if (tree.EnsureParents(rest + "/.") is var made and < 0)
                throw new SandboxSetupException(SetupFailure.Sandbox, $"workdir: cannot start in {workingDirectory}: {Libc.ErrorText(-made)}");
        var fd = Libc.Open(rest.Length == 0 ? layout.Upper : layout.Upper + "/" + rest, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (fd < 0)
            throw new SandboxSetupException(SetupFailure.Sandbox, $"workdir: cannot start in {workingDirectory}: {Libc.ErrorText(Libc.LastError)}");
        return new MountedStart(path, null, fd);
    }

    public void Dispose()
    {
        if (WorkingDirectoryFd >= 0) Libc.Close(WorkingDirectoryFd);
    }
}
