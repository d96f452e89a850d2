using System.Text;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing;

/// <summary>Turns a child that did not report a result into a failed result that says what happened.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ChildFailure
{
    private const int TailLines = 30;
    private static readonly string FailureType = typeof(SandboxedTestException).FullName!;

    public static ChildTestResult Describe(SandboxResult run, string? hostError, SandboxPolicy policy, SandboxedTestLaunch launch, TimeSpan? timeout)
    {
        var message = new StringBuilder();
        if (run.Status.TimedOut)
            message.Append($"the sandboxed test timed out after {timeout?.TotalSeconds ?? run.Elapsed.TotalSeconds:0.#} s (TimeoutSeconds) and was killed");
        else if (hostError is not null)
            message.Append($"the sandboxed test's child process could not run the test: {hostError}");
        else if (run.Status.Signal is { } signal)
            message.Append($"the sandboxed test's child process crashed: {run.Status} ({SignalName(signal)}) before reporting a result");
        else
            message.Append($"the sandboxed test's child process {run.Status} without reporting a result");
        AppendTail(message, "stderr", run.StandardErrorText);
        foreach (var denial in run.Denials) message.Append($"\nsandlock denied: {denial}");
        AppendTail(message, "stdout", run.StandardOutputText);
        if (!run.Status.TimedOut)
            message.Append($"\nIf the sandbox denied something the test needs, the error above names it; the policy allowed reading {Join(policy.FsReadable)}, writing {Join(policy.FsWritable)}, TCP {(policy.NetAllow.IsEmpty ? "nowhere" : string.Join(", ", policy.NetAllow))}.");
        return ChildTestResult.Failed(null, FailureType, message.ToString(), null, run.StandardOutputText, run.Elapsed);
    }

    /// <summary>
    /// A [Sandboxed] test in a host confined whole: the host's supervisor already receives this process's held calls,
    /// and the kernel lets a process have one such listener in its filters, so no child of it can be supervised.
    /// </summary>
    public static ChildTestResult InConfinedHost(TimeSpan elapsed) =>
        ChildTestResult.Failed(null, FailureType, "[Sandboxed] cannot run in a test host that is itself confined whole (SandlockTestHost=true or " +
            "--sandlock): a process under a sandbox's supervisor cannot start another supervised sandbox. Use one of the two: the whole host " +
            "(its policy, sandlock.toml, covers every test) or [Sandboxed] (a policy per test).", null, "", elapsed);

    public static ChildTestResult PolicyRejected(PolicyException error, TimeSpan elapsed) =>
        ChildTestResult.Failed(null, error.GetType().FullName!, $"the sandbox policy of this test cannot be used: {error.Message}", null, "", elapsed);

    /// <summary>The chroot lacks what the child host needs (<see cref="ChrootCheck"/>).</summary>
    public static ChildTestResult ChrootIncomplete(string problem, TimeSpan elapsed) =>
        ChildTestResult.Failed(null, FailureType, problem, null, "", elapsed);

    public static ChildTestResult SetupFailed(Exception error, TimeSpan elapsed) =>
        ChildTestResult.Failed(null, FailureType, $"the sandbox for this test could not be set up: {error.Message}", null, "", elapsed);

    private static void AppendTail(StringBuilder message, string stream, string text)
    {
        var lines = text.TrimEnd().Split('\n');
        if (lines is [""]) return;
        message.Append($"\n{stream} (last {Math.Min(lines.Length, TailLines)} lines):\n");
        message.AppendJoin('\n', lines.TakeLast(TailLines));
    }

    private static string Join(IEnumerable<string> paths) => string.Join(", ", paths) is { Length: > 0 } s ? s : "(nothing)";

    private static string SignalName(int signal) => signal switch
    {
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        31 => "SIGSYS",
        _ => $"signal {signal}",
    };
}
