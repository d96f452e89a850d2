using Sandlock.Lifecycle;
namespace Sandlock;

/// <summary>How a sandboxed command ended.</summary>
public readonly record struct ExitStatus(int? Code, int? Signal, bool TimedOut, bool Killed, bool CoreDumped = false)
{
    public bool Success => Code == 0 && !TimedOut && !Killed;

    /// <summary>The status a shell would report: the code, 128+signal, or 124 on timeout.</summary>
    public int ShellCode => TimedOut ? 124 : Code ?? 128 + (Signal ?? 0);

    public override string ToString() =>
        TimedOut ? "timed out" :
        Killed ? $"killed{(Signal is { } k ? $" (signal {k})" : "")}" :
        Code is { } c ? $"exited with code {c}" : $"ended by signal {Signal}{(CoreDumped ? " (core dumped)" : "")}";
}
