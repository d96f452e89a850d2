namespace Sandlock;

/// <summary>
/// An enforcement backend: makes a policy real once (<see cref="ProvisionAsync"/>) and runs commands under it
/// (<see cref="ExecAsync"/>), changing a live session's mounts and network between commands. <see cref="LocalSandboxBackend"/>
/// is the Landlock and seccomp one, and <see cref="Sandbox"/> runs on it.
/// </summary>
public interface ISandboxBackend
{
    /// <summary>Stable backend name, as in <see cref="SandboxSession.Backend"/>.</summary>
    string Name { get; }

    /// <summary>What this backend can enforce and change on this machine.</summary>
    SandboxCapabilities Capabilities { get; }

    /// <summary>
    /// Decides everything a command of the session needs that does not depend on the command. Fails closed with
    /// <see cref="SandboxSetupException"/> when the kernel cannot enforce the policy; nothing is left behind then.
    /// </summary>
    Task<SandboxSession> ProvisionAsync(SandboxPolicy policy, CancellationToken cancellationToken = default);

    /// <summary>Adds a mount to a live session; commands started afterwards see it.</summary>
    Task<SandboxSession> AttachFilesystemAsync(SandboxSession session, FilesystemMount mount, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces a live session's egress rules (<c>net_allow</c>, <c>net_deny</c>). Commands started afterwards get the
    /// new rules exactly, looser or tighter. A command already running can only be tightened: see the backend's notes.
    /// </summary>
    Task<SandboxSession> ApplyNetworkPolicyAsync(SandboxSession session, NetworkPolicy policy, CancellationToken cancellationToken = default);

    /// <summary>Runs one command in the session to its end. Cancelling kills the command's process tree.</summary>
    Task<SandboxResult> ExecAsync(SandboxSession session, ExecRequest request, CancellationToken cancellationToken = default);

    /// <summary>Captures a session so it can be restored later; a backend that cannot says so with <see cref="SandboxSessionException"/>.</summary>
    Task<SandboxSnapshot> SnapshotAsync(SandboxSession session, CancellationToken cancellationToken = default);

    /// <summary>Stops every running command of the session where it is; the session refuses new commands until resumed.</summary>
    Task<SandboxSession> SuspendAsync(SandboxSession session, CancellationToken cancellationToken = default);

    /// <summary>Continues a suspended session's commands and lets it take new ones.</summary>
    Task<SandboxSession> ResumeAsync(SandboxSession session, CancellationToken cancellationToken = default);

    /// <summary>Kills what still runs in the session and releases what it held; the session refuses every later call.</summary>
    Task TerminateAsync(SandboxSession session, CancellationToken cancellationToken = default);
}
