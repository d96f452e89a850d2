using Microsoft.Build.Framework;
using Sandlock.Build.Sessions;
using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using PolicyFileReader = Sandlock.Policy.Files.PolicyFile;

namespace Sandlock.Build;

/// <summary>
/// <c>Exec</c>, with the command confined by Landlock and seccomp. Exec still validates the parameters, writes its
/// temp script, logs the command and handles the exit code; only the start of <c>/bin/sh</c> is replaced, and
/// every output line goes through Exec's own <see cref="LogEventsFromTextOutput"/>, so ConsoleToMSBuild,
/// importances and the error/warning formats behave as in Exec.
/// </summary>
public class SandlockExec : Microsoft.Build.Tasks.Exec
{
    private const string ExitedZeroWithErrorsResource = "Exec.CommandExitedZeroWithErrors";
    private bool _failureAlreadyReported, _exitedZeroWithErrors, _dryRun;

    /// <summary>SandlockDryRun: this step's workdir changes are listed and thrown away.</summary>
    internal bool DryRunStep => _dryRun;

    /// <summary>A sandlock.toml; default: <c>$(SandlockPolicyFile)</c>, which defaults to sandlock.toml beside the project.</summary>
    public string? PolicyFile { get; set; }

    /// <summary>Folders or files the command may also read (relative to the project folder).</summary>
    public string[] ReadPaths { get; set; } = [];

    /// <summary>Folders or files the command may also write.</summary>
    public string[] WritePaths { get; set; } = [];

    /// <summary>Paths the command may not touch even inside an allowed folder.</summary>
    public string[] DenyPaths { get; set; } = [];

    /// <summary>TCP endpoints the command may connect to: <c>:PORT</c> or <c>*:PORT</c>.</summary>
    public string[] NetAllow { get; set; } = [];

    /// <summary>
    /// Files or folders the command may be refused without failing the step (known harmless probes): their
    /// refusals are logged as messages, added to <c>@(SandlockAcceptDenied)</c>. Any other refused file is error SLK0001.
    /// </summary>
    public string[] AcceptDeniedPaths { get; set; } = [];

    /// <summary>HTTP requests the command may make, e.g. <c>GET api.nuget.org/*</c> (HTTPS too); others get a 403 and SLK0001.</summary>
    public string[] HttpAllow { get; set; } = [];

    public string? MaxMemory { get; set; }
    public string? MaxProcesses { get; set; }
    public string? TimeStart { get; set; }
    public string? RandomSeed { get; set; }
    public bool DeterministicDirs { get; set; }

    /// <summary>Start from an empty environment (PATH, HOME, USER, LOGNAME, TERM, LANG, LC_ALL, TZ kept).</summary>
    public bool CleanEnv { get; set; }

    /// <summary>
    /// A folder (relative to the project folder) whose changes the command makes in a copy-on-write layer, applied to
    /// it only when the command succeeds: a failing step leaves it untouched.
    /// </summary>
    public string? Workdir { get; set; }

    protected override int ExecuteTool(string pathToTool, string responseFileCommands, string commandLineCommands)
    {
        _failureAlreadyReported = _exitedZeroWithErrors = false;
        var project = ProjectSettings.For(BuildEngine);
        if (!project.Enabled || !OperatingSystem.IsLinux())
        {
            var why = project.Enabled ? $"{Environment.OSVersion.Platform} is not Linux" : "SandlockEnabled is false";
            Log.LogWarning(null, DiagnosticCodes.Unconfined, null, null, 0, 0, 0, 0,
                "{0}: the command runs unconfined, with the access of the build itself", why);
            return base.ExecuteTool(pathToTool, responseFileCommands, commandLineCommands);
        }

        // A build node lives long: it clears what killed builds left in the temp directory, once.
        Sandlock.Interop.TempFolderOwnership.SweepOnce();
        var arguments = string.IsNullOrEmpty(responseFileCommands) ? commandLineCommands : $"{commandLineCommands} {responseFileCommands}";
        var shell = ShellInvocation.From(pathToTool, arguments);
        var policyFile = string.IsNullOrWhiteSpace(PolicyFile) ? project.PolicyFile : Path.GetFullPath(PolicyFile, project.ProjectDirectory);
        // A learned step runs in a sandbox of its own, observed: a session's confinement is decided once for all; and a
        // workdir's layer belongs to one run, which a session's commands are not.
        if (UsesSessions && project.LearnFile is null && string.IsNullOrWhiteSpace(Workdir) && StepSessions.Of(BuildEngine) is { } sessions
            && RunInSession(sessions, project, shell, policyFile) is { } sessionExit)
            return sessionExit;
        ChildTempFolder? temp = null;
        try
        {
            SandboxPolicy policy;
            ChildRoot root;
            try
            {
                var file = policyFile is null ? null : PolicyFileReader.Load(policyFile);
                // A chroot can only come from the policy file, and the defaults, laid under the file, depend on it.
                root = file is null ? ChildRoot.Host : ChildRoot.Of([file]);
                temp = ChildTempFolder.Create(root, "sandlock-step-");
                policy = StepPolicy.Compose(StepFor(project, root, shell.ScriptPath, temp?.HostPath), PolicyParameters.Of(this), file);
            }
            catch (PolicyException e)
            {
                ReportPolicyError(e);
                return -1;
            }
            string? problem = null;
            if ((root.Chroot is null ? shell : shell.InsideChroot(out problem)) is not { } run)
            {
                Log.LogError(null, DiagnosticCodes.ShellNotStarted, null, null, 0, 0, 0, 0, "the sandbox could not start the command: {0}", problem);
                MarkFailureReported();
                return -1;
            }
            if (project.LearnFile is { } learnFile)
                return Learning.StepLearning.For(BuildEngine, learnFile).Run(this, policy, run.Argv, learnFile, Command,
                    new[] { shell.ScriptPath, temp?.HostPath }.OfType<string>().ToList());
            _dryRun = project.DryRun && policy.Workdir is not null;
            return RunConfined(policy, policyFile, run.Argv);
        }
        finally
        {
            if (shell.ScriptPath is not null) DeleteTempFile(shell.ScriptPath);
            if (temp?.TryDelete() is { } problem)
                Log.LogMessage(MessageImportance.Low, "could not delete the step's temp folder {0}: {1}", temp.HostPath, problem);
        }
    }

    /// <summary>
    /// Runs the step as an exec of the session for its policy. The policy is composed without Exec's temp script
    /// (a new file each step) and without a temp folder of the step's own, so every step of the project with the
    /// same parameters has the same policy: the script is moved into the session's temp folder, which is its TMPDIR.
    /// Null when the policy file sets a workdir: its layer belongs to one run, so the step needs a sandbox of its own.
    /// </summary>
    private int? RunInSession(StepSessions sessions, ProjectSettings project, ShellInvocation shell, string? policyFile)
    {
        string? movedScript = null;
        StepSessions.Lease? lease = null;
        var runsHere = true;
        try
        {
            ComposedStep composed;
            var parameters = PolicyParameters.Of(this);
            var step = StepFor(project, ChildRoot.Host, null, null);
            var inputs = ComposedSteps.InputsOf(project, policyFile, parameters, step);
            try
            {
                composed = sessions.Compositions.For(inputs.Composition, () => ComposedSteps.Compose(step, parameters, policyFile));
            }
            catch (PolicyException e)
            {
                ReportPolicyError(e);
                return -1;
            }
            if (composed.KeyPolicy.Workdir is not null)
            {
                runsHere = false;
                return null;
            }

            var root = composed.Root;
            try
            {
                lease = sessions.For(ProjectSettings.KeyFor(BuildEngine, project.ProjectDirectory), inputs.Session, () =>
                {
                    // Outside a chroot the session makes its own temp folder; a chroot's is made in its /tmp here.
                    if (root.Chroot is null) return (composed.KeyPolicy, null);
                    var temp = ChildTempFolder.Create(root, "sandlock-step-");
                    return (StepPolicy.Compose(StepFor(project, root, null, temp?.HostPath), parameters, composed.File), temp);
                });
            }
            catch (PolicyException e)
            {
                ReportPolicyError(e);
                return -1;
            }
            catch (SandboxSetupException e)
            {
                Log.LogError(null, DiagnosticCodes.SetupFailed, null, null, 0, 0, 0, 0, "the sandbox could not start the command: {0}", e.Message);
                MarkFailureReported();
                return -1;
            }

            var session = lease.Session;
            IReadOnlyList<string> argv;
            string? problem = null;
            if (root.Chroot is null && shell.ScriptPath is { } script && session.TempFolder is { } folder)
            {
                // Moved, not copied: the script is this task's to delete, and a rename within /tmp is one call.
                var moved = Path.Combine(folder, Path.GetFileName(script));
                File.Move(script, moved, overwrite: true);
                movedScript = moved;
                argv = [.. shell.Argv.Select(a => a.Replace(script, moved, StringComparison.Ordinal))];
            }
            else if (shell.InsideChroot(out problem) is { } run)
            {
                argv = root.Chroot is null ? [shell.Argv[0], .. run.Argv.Skip(1)] : run.Argv;
            }
            else
            {
                Log.LogError(null, DiagnosticCodes.ShellNotStarted, null, null, 0, 0, 0, 0, "the sandbox could not start the command: {0}", problem);
                MarkFailureReported();
                return -1;
            }
            return new SandboxedRun(this, session.Policy, policyFile, AcceptedDenials(), lease.Start).Run(argv);
        }
        finally
        {
            // A step leaving for a sandbox of its own still needs Exec's script there; a moved one is only in its new
            // place (an unlink that finds nothing still costs ~15 us a step).
            if (runsHere && movedScript is null && shell.ScriptPath is not null) DeleteTempFile(shell.ScriptPath);
            if (movedScript is not null) DeleteTempFile(movedScript);
            // After the command has ended: a switch to another project meanwhile left the session to this step.
            lease?.Dispose();
        }
    }

    /// <summary>A repro check varies each run's environment, so it starts sandboxes of its own.</summary>
    private protected virtual bool UsesSessions => true;

    /// <summary>Runs the composed step; the exit code goes to ToolTask, -1 when the failure is already reported.</summary>
    private protected virtual int RunConfined(SandboxPolicy policy, string? policyFile, IReadOnlyList<string> argv) =>
        new SandboxedRun(this, policy, policyFile, AcceptedDenials()).Run(argv);

    private string[] AcceptedDenials()
    {
        var project = ProjectSettings.For(BuildEngine);
        return [.. AcceptDeniedPaths.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => Path.GetFullPath(p.Trim(), project.ProjectDirectory))
            .Concat(project.AcceptDeniedPaths ?? [])];
    }

    /// <summary>Setup failures, timeouts and cancellation are reported already; Exec's exit-code error would mislead.</summary>
    protected override bool HandleTaskExecutionErrors()
    {
        if (_failureAlreadyReported) return false;
        // MSBuild 18's Exec reports "exited with 0 but errors were logged" (MSB3077) from a flag only ToolTask can set;
        // say the same through Exec's own resource when this MSBuild has it.
        if (_exitedZeroWithErrors && !IgnoreExitCode && Log.TaskResources?.GetString(ExitedZeroWithErrorsResource) is not null)
        {
            Log.LogErrorWithCodeFromResources(ExitedZeroWithErrorsResource, Command);
            return false;
        }
        return base.HandleTaskExecutionErrors();
    }

    internal void MarkFailureReported() => _failureAlreadyReported = true;
    internal void MarkExitedZeroWithErrors() => _exitedZeroWithErrors = true;

    // Exec's own members, for SandboxedRun: the task thread logs through them.
    internal void LogLine(string line, bool isStandardError)
    {
        if (isStandardError && LogStandardErrorAsError) Log.LogError(line);
        else LogEventsFromTextOutput(line, isStandardError ? StandardErrorImportanceToUse : StandardOutputImportanceToUse);
    }

    internal System.Text.Encoding OutputEncoding => StandardOutputEncoding;
    internal System.Text.Encoding ErrorEncoding => StandardErrorEncoding;
    internal WaitHandle Canceled => ToolCanceled;
    internal bool LoggedErrors => HasLoggedErrors;
    internal Microsoft.Build.Utilities.TaskLoggingHelper Logger => Log;

    private StepPolicy.Step StepFor(ProjectSettings project, ChildRoot root, string? scriptPath, string? tempDirectory)
    {
        // Exec checked WorkingDirectory in ValidateParameters; GetWorkingDirectory throws if it has gone since.
        var workingDirectory = Path.GetFullPath(GetWorkingDirectory() ?? Directory.GetCurrentDirectory(), project.ProjectDirectory);
        // A loop, not LINQ to pairs: every step reads these, and a fresh node JIT-compiles LINQ over a value type.
        var environment = new List<KeyValuePair<string, string>>();
        foreach (var entry in EnvironmentVariables ?? [])
        {
            var separator = entry.IndexOf('=', StringComparison.Ordinal);
            if (separator > 0) environment.Add(new KeyValuePair<string, string>(entry[..separator], entry[(separator + 1)..]));
        }
        return new StepPolicy.Step(project, root, workingDirectory, !string.IsNullOrEmpty(WorkingDirectory), scriptPath, tempDirectory, environment,
            Environment.GetEnvironmentVariables());
    }

    private void ReportPolicyError(PolicyException e)
    {
        var code = e is NotSupportedYetException ? DiagnosticCodes.NotSupportedYet : DiagnosticCodes.InvalidPolicy;
        if (e.Line > 0)
            Log.LogError(null, code, null, e.Source, e.Line, e.Column, 0, 0, "{0}", e.Problem);
        else if (PolicySource.FileLocation(e.Source) is var (file, line, column))
            Log.LogError(null, code, null, file, line, column, 0, 0, "{0}", e.Problem);
        else
            Log.LogError(null, code, null, null, 0, 0, 0, 0, "{0}", e.Message);
        MarkFailureReported();
    }
}
