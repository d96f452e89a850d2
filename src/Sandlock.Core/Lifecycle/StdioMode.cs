using Sandlock.Lifecycle;
namespace Sandlock;

public enum StdioMode
{
    /// <summary>stdout and stderr are captured into the result; stdin is /dev/null.</summary>
    Capture,
    /// <summary>The command shares the caller's stdin, stdout and stderr (interactive use).</summary>
    Inherit,
    /// <summary>All three are /dev/null.</summary>
    Null,
}

/// <summary>Receives captured output as it arrives, on the watcher thread: copy the bytes and return quickly.</summary>
public delegate void OutputHandler(ReadOnlySpan<byte> chunk);
