using Sandlock.Supervision;
namespace Sandlock;

/// <summary>One thing the sandbox refused: which syscall, on what, for which process, by which rule.</summary>
public sealed record Denial(string Syscall, string Target, int Pid, string Rule)
{
    /// <summary>For a file the filesystem rules refused (recorded when the policy asks for it): its host path.</summary>
    public string? FilePath { get; init; }

    /// <summary>For a refused file: whether a write (make, remove, change) was refused, else a read.</summary>
    public bool FileWrite { get; init; }

    public override string ToString() => $"{Syscall} {Target} (pid {Pid}): {Rule}";
}
