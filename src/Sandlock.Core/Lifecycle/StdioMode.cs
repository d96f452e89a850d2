namespace Sandlock.Lifecycle;

public enum StdioMode
{
    /// <summary>stdout and stderr are captured into the result; stdin is /dev/null.</summary>
    Capture,
    /// <summary>The command shares the caller's stdin, stdout and stderr (interactive use).</summary>
    Inherit,
    /// <summary>All three are /dev/null.</summary>
    Null,
}
