namespace Sandlock;

/// <summary>What a copy-on-write run changed in its workdir: a path added, modified or deleted.</summary>
public enum WorkspaceChangeKind { Added, Modified, Deleted }

/// <summary>One change of a workdir run; <see cref="ToString"/> gives the dry run's line (<c>A|M|D PATH</c>).</summary>
public sealed record WorkspaceChange(WorkspaceChangeKind Kind, string Path)
{
    public override string ToString() => $"{Kind switch { WorkspaceChangeKind.Added => 'A', WorkspaceChangeKind.Modified => 'M', _ => 'D' }} {Path}";
}

/// <summary>What <see cref="Sandbox.DryRunAsync"/> gives: the run's result and the changes it would have made.</summary>
public sealed record DryRunResult(SandboxResult Result, IReadOnlyList<WorkspaceChange> Changes);
