namespace Sandlock;

/// <summary>What a backend can enforce, and change in a live session, on this machine.</summary>
public sealed record SandboxCapabilities(
    bool Filesystem,
    bool Network,
    bool Syscalls,
    bool AttachFilesystem,
    bool ChangeNetwork,
    bool Suspend,
    bool Snapshot);
