using Sandlock.Supervision;
namespace Sandlock;

/// <summary>One thing the sandbox refused: which syscall, on what, for which process, by which rule.</summary>
public sealed record Denial(string Syscall, string Target, int Pid, string Rule)
{
    public override string ToString() => $"{Syscall} {Target} (pid {Pid}): {Rule}";
}
