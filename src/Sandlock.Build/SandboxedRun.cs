using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Build;

/// <summary>
/// One confined start of Exec's shell: output is logged on the task thread as it arrives, Timeout and build
/// cancellation kill the whole process group, and a failure that looks like a denial gets an SLK0001 explanation.
/// A file the sandbox refused is SLK0001 whatever the exit code, unless it is under an accepted path.
/// </summary>
/// <param name="start">Starts the request: in the step's session, or (null) in a sandbox of its own.</param>
internal sealed class SandboxedRun(SandlockExec task, SandboxPolicy policy, string? policyFile, IReadOnlyList<string> acceptedDenials,
    Func<ExecRequest, Sandbox>? start = null)
{
    private DeniedAccess.Finding? _denial;
    private readonly System.Collections.Concurrent.ConcurrentQueue<PortMapping> _ports = new();

    /// <summary>The exit code for ToolTask: the command's, 128+signal, or -1 when the failure is already reported.</summary>
    public int Run(IReadOnlyList<string> argv)
    {
        using var queue = new OutputQueue();
        var stdout = new OutputLines(task.OutputEncoding, line => queue.Add(false, line));
        var stderr = new OutputLines(task.ErrorEncoding, line => queue.Add(true, line));
        var request = new ExecRequest(argv)
        {
            OnStandardOutput = stdout.Add,
            OnStandardError = stderr.Add,
            // Reported by the supervisor thread; logged on the task thread with the output around it.
            OnPortMapped = _ports.Enqueue,
            // Pump blocks this thread until the command has ended.
            StarterWaitsForEnd = true,
        };
        Sandbox started;
        try
        {
            started = (start ?? StartOwn)(request);
        }
        catch (SandboxSetupException e)
        {
            var code = e.Failure == SetupFailure.Sandbox ? DiagnosticCodes.SetupFailed : DiagnosticCodes.ShellNotStarted;
            task.Logger.LogError(null, code, null, null, 0, 0, 0, 0, "the sandbox could not start the command: {0}", e.Message);
            task.MarkFailureReported();
            return -1;
        }

        using var sandbox = started;
        var (result, ended) = Pump(sandbox, queue);
        // The watcher thread has delivered every chunk before completing; flush the last unterminated lines.
        stdout.Complete();
        stderr.Complete();
        Log(queue);
        LogChanges(result);
        return ExitCode(result, ended);
    }

    /// <summary>With a workdir: what the step changed there and what became of it, as messages.</summary>
    private void LogChanges(SandboxResult result)
    {
        if (result.ChangesAction is not { } action) return;
        var outcome = action switch
        {
            BranchAction.Commit => "committed",
            BranchAction.Keep => $"kept in {result.ChangesKeptAt}",
            _ => "thrown away",
        };
        // A dry run's list is what the user asked to see.
        var importance = task.DryRunStep ? Microsoft.Build.Framework.MessageImportance.High : Microsoft.Build.Framework.MessageImportance.Low;
        task.Logger.LogMessage(task.DryRunStep ? importance : Microsoft.Build.Framework.MessageImportance.Normal,
            "workdir {0}: {1} change(s) {2}{3}", policy.Workdir, result.Changes.Count, outcome, task.DryRunStep ? " (SandlockDryRun)" : "");
        foreach (var change in result.Changes) task.Logger.LogMessage(importance, "  {0}", change);
    }

    private Sandbox StartOwn(ExecRequest request)
    {
        var sandbox = new Sandbox(policy, request.Command, request.Stdio)
        {
            DryRun = task.DryRunStep,
            OnStandardOutput = request.OnStandardOutput,
            OnStandardError = request.OnStandardError,
            OnPortMapped = request.OnPortMapped,
            StarterWaitsForEnd = request.StarterWaitsForEnd,
        };
        try
        {
            sandbox.Start();
            return sandbox;
        }
        catch
        {
            sandbox.Dispose();
            throw;
        }
    }

    private enum Ending { Exited, TimedOut, Canceled }

    /// <summary>
    /// Logs output until the command ends. Timeout is kept here, on the task thread, like ToolTask does: a timer on
    /// the thread pool can fire late in a busy build node.
    /// </summary>
    private (SandboxResult Result, Ending Ending) Pump(Sandbox sandbox, OutputQueue queue)
    {
        // Its wait handle is set on the watcher thread; WaitAsync would add a thread-pool hop to every step.
        var completion = sandbox.Completion;
        var finished = ((IAsyncResult)completion).AsyncWaitHandle;
        var ending = Ending.Exited;
        var deadline = task.Timeout >= 0 ? Environment.TickCount64 + task.Timeout : long.MaxValue;
        if (task.YieldDuringToolExecution) task.BuildEngine3.Yield();
        try
        {
            while (!completion.IsCompleted)
            {
                WaitHandle[] handles = ending == Ending.Exited ? [queue.Available, finished, task.Canceled] : [queue.Available, finished];
                var wait = ending == Ending.Exited && deadline != long.MaxValue
                    ? (int)Math.Clamp(deadline - Environment.TickCount64, 0, int.MaxValue)
                    : Timeout.Infinite;
                var signaled = WaitHandle.WaitAny(handles, wait);
                if (signaled == WaitHandle.WaitTimeout || signaled == 2)
                {
                    ending = signaled == 2 ? Ending.Canceled : Ending.TimedOut;
                    sandbox.Kill();
                }
                Log(queue);
            }
        }
        finally
        {
            if (task.YieldDuringToolExecution) task.BuildEngine3.Reacquire();
        }
        return (completion.GetAwaiter().GetResult(), ending);
    }

    /// <summary>
    /// Logs each file the sandbox refused, as SLK0001 (even after exit code 0: the program may have swallowed it and
    /// built something else) or, under an accepted path, as a message. True when an error was logged.
    /// </summary>
    private bool ReportRefusedFiles(SandboxResult result)
    {
        var words = PolicyVocabulary.Task(policyFile);
        var refused = false;
        // A set per kind of access rather than DistinctBy over a tuple key, which a fresh build node JIT-compiles.
        HashSet<string> readsSeen = new(StringComparer.Ordinal), writesSeen = new(StringComparer.Ordinal);
        foreach (var denial in result.Denials)
        {
            if (denial.FilePath is null || !(denial.FileWrite ? writesSeen : readsSeen).Add(denial.FilePath)) continue;
            var explanation = DeniedAccess.Explain(denial, words);
            if (acceptedDenials.Any(a => PathTree.IsSameOrUnder(denial.FilePath!, a)))
            {
                task.Logger.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "{0} (accepted by AcceptDeniedPaths or @(SandlockAcceptDenied))", explanation);
                continue;
            }
            // IgnoreExitCode accepts a failing step: its refusals are still shown, as with a failing exit code.
            if (task.IgnoreExitCode) task.Logger.LogWarning(null, DiagnosticCodes.AccessDenied, null, null, 0, 0, 0, 0, "{0}", explanation);
            else task.Logger.LogError(null, DiagnosticCodes.AccessDenied, null, null, 0, 0, 0, 0, "{0}", explanation);
            refused = true;
        }
        return refused;
    }

    private void Log(OutputQueue queue)
    {
        while (_ports.TryDequeue(out var mapping))
            task.Logger.LogMessage(Microsoft.Build.Framework.MessageImportance.High, "the sandbox bound {0} (port_remap)", mapping);
        foreach (var (isError, line) in queue.TakeAll())
        {
            // bash says "connect: Permission denied" before the line that names the port: keep the more precise one.
            if (_denial is null || _denial.Target.Length == 0) _denial = DeniedAccess.Inspect(line, policy) ?? _denial;
            task.LogLine(line, isError);
        }
    }

    private int ExitCode(SandboxResult result, Ending ending)
    {
        if (ending != Ending.Exited)
        {
            // As Exec: a warning, the task fails without an error of its own, ExitCode is the killed shell's status.
            if (ending == Ending.TimedOut)
                task.Logger.LogWarning(null, DiagnosticCodes.TimedOut, null, null, 0, 0, 0, 0,
                    "the command was killed because it did not finish within the Timeout of {0} milliseconds", task.Timeout);
            else
                task.Logger.LogWarning(null, DiagnosticCodes.TimedOut, null, null, 0, 0, 0, 0, "the build was canceled: the command was killed");
            task.MarkFailureReported();
            return result.ExitCode;
        }
        var code = result.ExitCode;
        var refusedFiles = ReportRefusedFiles(result);
        // The supervisor's own record names the exact destination and rule: it beats what the output suggests.
        var recorded = result.Denials.FirstOrDefault(d => d.FilePath is null);
        if (code != 0 && !refusedFiles && (recorded is not null || _denial is not null))
        {
            var explanation = recorded is not null && (_denial is null || _denial.What != DeniedAccess.Kind.File)
                ? DeniedAccess.Explain(recorded, PolicyVocabulary.Task(policyFile))
                : DeniedAccess.Explain(_denial!, PolicyVocabulary.Task(policyFile));
            if (task.IgnoreExitCode) task.Logger.LogWarning(null, DiagnosticCodes.AccessDenied, null, null, 0, 0, 0, 0, "{0}", explanation);
            else task.Logger.LogError(null, DiagnosticCodes.AccessDenied, null, null, 0, 0, 0, 0, "{0}", explanation);
        }
        // As ToolTask: a tool that exits 0 after errors were logged from its output has failed.
        if (code == 0 && task.LoggedErrors)
        {
            task.MarkExitedZeroWithErrors();
            return -1;
        }
        return code;
    }
}
