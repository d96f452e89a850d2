using Sandlock.Lifecycle;
namespace Sandlock;

/// <summary>How a sandboxed command ended.</summary>
public readonly record struct ExitStatus(int? Code, int? Signal, bool TimedOut, bool Killed, bool CoreDumped = false)
{
    public bool Success => Code == 0 && !TimedOut && !Killed;

    /// <summary>The status a shell would report: the code, 128+signal, or 124 on timeout.</summary>
    public int ShellCode => TimedOut ? 124 : Code ?? 128 + (Signal ?? 0);

    /// <summary>From waitid's si_code and si_status.</summary>
    internal static ExitStatus FromWait(int code, int status, bool timedOut, bool killed) => code switch
    {
        Interop.Libc.CLD_EXITED => new ExitStatus(status, null, timedOut, killed),
        Interop.Libc.CLD_KILLED => new ExitStatus(null, status, timedOut, killed),
        Interop.Libc.CLD_DUMPED => new ExitStatus(null, status, timedOut, killed, CoreDumped: true),
        _ => new ExitStatus(null, null, timedOut, killed),
    };

    public override string ToString() =>
        TimedOut ? "timed out" :
        Killed ? $"killed{(Signal is { } k ? $" (signal {k})" : "")}" :
        Code is { } c ? $"exited with code {c}" : $"ended by signal {Signal}{(CoreDumped ? " (core dumped)" : "")}";
}
