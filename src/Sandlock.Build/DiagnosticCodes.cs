namespace Sandlock.Build;

/// <summary>The codes of Sandlock's MSBuild errors and warnings (documented in docs/msbuild.md).</summary>
internal static class DiagnosticCodes
{
    /// <summary>The command failed and its output shows the sandbox denied it a file or a connection.</summary>
    public const string AccessDenied = "SLK0001";

    /// <summary>The policy (file or task parameter) cannot be used as written.</summary>
    public const string InvalidPolicy = "SLK0002";

    /// <summary>The policy asks for a protection whose enforcement is not built yet.</summary>
    public const string NotSupportedYet = "SLK0003";

    /// <summary>The sandbox could not be set up (kernel feature missing, resource exhausted).</summary>
    public const string SetupFailed = "SLK0004";

    /// <summary>The shell that runs the command could not be found or executed.</summary>
    public const string ShellNotStarted = "SLK0005";

    /// <summary>The command ran unconfined (SandlockEnabled=false, or not Linux).</summary>
    public const string Unconfined = "SLK0006";

    /// <summary>The command was killed because it ran longer than Timeout.</summary>
    public const string TimedOut = "SLK0007";

    /// <summary>SandlockReproCheck: the runs did not produce the same bytes.</summary>
    public const string NotReproducible = "SLK0008";

    /// <summary>SandlockRouteExec is on, but an Exec runs where the package's targets are not imported (restore).</summary>
    public const string UnroutedExec = "SLK0009";

    /// <summary>SandlockLearn is on: the step ran observed rather than confined (or its learned file could not be written).</summary>
    public const string Learning = "SLK0010";
}
