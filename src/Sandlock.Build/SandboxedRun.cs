using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Build;

/// <summary>
/// One confined start of Exec's shell: output is logged on the task thread as it arrives, Timeout and build
/// cancellation kill the whole process group, and a failure that looks like a denial gets an SLK0001 explanation.
/// </summary>
internal sealed class SandboxedRun(SandlockExec task, SandboxPolicy policy, string? policyFile)
{
    private DeniedAccess.Finding? _denial;

    /// <summary>The exit code for ToolTask: the command's, 128+signal, or -1 when the failure is already reported.</summary>
    public int Run(IReadOnlyList<string> argv)
    {
        using var queue = new OutputQueue();
        var stdout = new OutputLines(task.OutputEncoding, line => queue.Add(false, line));
        var stderr = new OutputLines(task.ErrorEncoding, line => queue.Add(true, line));
        using var sandbox = new Sandbox(policy, argv, StdioMode.Capture)
        {
            Timeout = task.Timeout >= 0 ? TimeSpan.FromMilliseconds(task.Timeout) : null,
            OnStandardOutput = stdout.Add,
            OnStandardError = stderr.Add,
        };
        try
        {
            sandbox.Start();
        }
        catch (SandboxSetupException e)
        {
            var code = e.Failure == SetupFailure.Sandbox ? DiagnosticCodes.SetupFailed : DiagnosticCodes.ShellNotStarted;
            task.Logger.LogError(null, code, null, null, 0, 0, 0, 0, "the sandbox could not start the command: {0}", e.Message);
            task.MarkFailureReported();
            return -1;
        }

        var (result, canceled) = Pump(sandbox, queue);
        // The watcher thread has delivered every chunk before completing; flush the last unterminated lines.
        stdout.Complete();
        stderr.Complete();
        Log(queue);
        return ExitCode(result, canceled);
    }

    private (SandboxResult Result, bool Canceled) Pump(Sandbox sandbox, OutputQueue queue)
    {
        var completion = sandbox.WaitAsync();
        var finished = ((IAsyncResult)completion).AsyncWaitHandle;
        var canceled = false;
        if (task.YieldDuringToolExecution) task.BuildEngine3.Yield();
        try
        {
            while (!completion.IsCompleted)
            {
                WaitHandle[] handles = canceled ? [queue.Available, finished] : [queue.Available, finished, task.Canceled];
                if (WaitHandle.WaitAny(handles) == 2)
                {
                    canceled = true;
                    sandbox.Kill();
                }
                Log(queue);
            }
        }
        finally
        {
            if (task.YieldDuringToolExecution) task.BuildEngine3.Reacquire();
        }
        return (completion.GetAwaiter().GetResult(), canceled);
    }

    private void Log(OutputQueue queue)
    {
        foreach (var (isError, line) in queue.TakeAll())
        {
            _denial ??= DeniedAccess.Inspect(line, policy);
            task.LogLine(line, isError);
        }
    }

    private int ExitCode(SandboxResult result, bool canceled)
    {
        if (canceled)
        {
            task.Logger.LogWarning(null, DiagnosticCodes.TimedOut, null, null, 0, 0, 0, 0, "the build was canceled: the command was killed");
            task.MarkFailureReported();
            return -1;
        }
        if (result.Status.TimedOut)
        {
            task.Logger.LogWarning(null, DiagnosticCodes.TimedOut, null, null, 0, 0, 0, 0,
                "the command was killed because it did not finish within the Timeout of {0} milliseconds", task.Timeout);
            task.MarkFailureReported();
            return -1;
        }
        var code = result.ExitCode;
        if (code != 0 && _denial is { } denial)
        {
            var explanation = DeniedAccess.Explain(denial, policyFile);
            if (task.IgnoreExitCode) task.Logger.LogWarning(null, DiagnosticCodes.AccessDenied, null, null, 0, 0, 0, 0, "{0}", explanation);
            else task.Logger.LogError(null, DiagnosticCodes.AccessDenied, null, null, 0, 0, 0, 0, "{0}", explanation);
        }
        // As ToolTask: a tool that exits 0 after errors were logged from its output has failed.
        return code == 0 && task.LoggedErrors ? -1 : code;
    }
}
