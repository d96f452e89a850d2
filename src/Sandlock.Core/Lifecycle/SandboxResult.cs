using System.Text;
using Sandlock.Lifecycle;

namespace Sandlock;

/// <summary>The outcome of one sandboxed run: exit status and, when captured, its output.</summary>
public sealed record SandboxResult(int Pid, ExitStatus Status, byte[] StandardOutput, byte[] StandardError, TimeSpan Elapsed)
{
    /// <summary>What the supervisor refused during the run (empty when no supervisor was needed).</summary>
    public IReadOnlyList<Denial> Denials { get; init; } = [];

    /// <summary>With port remapping: each port the sandbox bound, and the real port the host gave it.</summary>
    public IReadOnlyList<PortMapping> PortMappings { get; init; } = [];

    /// <summary>With a workdir: what the run changed in it (sorted by path), whatever became of the changes.</summary>
    public IReadOnlyList<WorkspaceChange> Changes { get; init; } = [];

    /// <summary>With a workdir: whether its changes were committed, thrown away or kept.</summary>
    public BranchAction? ChangesAction { get; init; }

    /// <summary>With a workdir whose changes were kept: the folder holding them (its upper folder and deleted list).</summary>
    public string? ChangesKeptAt { get; init; }

    public int ExitCode => Status.ShellCode;
    public bool Success => Status.Success;
    public string StandardOutputText => Encoding.UTF8.GetString(StandardOutput);
    public string StandardErrorText => Encoding.UTF8.GetString(StandardError);
}
