namespace Sandlock;

/// <summary>
/// A provisioned session as its backend last reported it. The session itself lives in the backend: a copy returned
/// earlier still names it (by <see cref="Id"/>) but may show an older policy or state.
/// </summary>
public sealed record SandboxSession
{
    public SandboxSession(string id, string backend, SandboxPolicy policy, SandboxSessionState state, string? tempFolder)
    {
        Id = id;
        Backend = backend;
        Policy = policy;
        State = state;
        TempFolder = tempFolder;
    }

    public string Id { get; }

    /// <summary>The <see cref="ISandboxBackend.Name"/> of the backend that holds it.</summary>
    public string Backend { get; }

    /// <summary>The policy commands started now run under, with the mounts and network rules changed since provisioning.</summary>
    public SandboxPolicy Policy { get; }

    public SandboxSessionState State { get; }

    /// <summary>The session's own temp folder (its commands' TMPDIR), removed when it is terminated; null when it has none.</summary>
    public string? TempFolder { get; }

    internal object? BackendState { get; init; }
}

public enum SandboxSessionState
{
    /// <summary>Takes commands.</summary>
    Live,
    /// <summary>Its commands are stopped; it takes none until resumed.</summary>
    Suspended,
    /// <summary>Ended: refuses every call.</summary>
    Terminated,
}
