namespace Sandlock;

/// <summary>One command to run in a session.</summary>
public sealed record ExecRequest(IReadOnlyList<string> Command)
{
    public StdioMode Stdio { get; init; } = StdioMode.Capture;

    /// <summary>Kills the command's process group when it runs longer; the result then reports a timeout.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Sees captured stdout as it arrives (<see cref="StdioMode.Capture"/> only).</summary>
    public OutputHandler? OnStandardOutput { get; init; }

    /// <summary>Sees captured stderr as it arrives (<see cref="StdioMode.Capture"/> only).</summary>
    public OutputHandler? OnStandardError { get; init; }

    /// <summary>With port remapping, sees each port the command binds (on a supervisor thread).</summary>
    public Action<PortMapping>? OnPortMapped { get; init; }

    /// <summary>The thread that starts the command waits for its end (see <see cref="Sandbox.StarterWaitsForEnd"/>).</summary>
    internal bool StarterWaitsForEnd { get; init; }
}
