using System.CommandLine;
using System.Runtime.InteropServices;
using Sandlock.Confinement;
using Sandlock.Interop;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Cli;

/// <summary><c>sandlock run [OPTIONS] -- COMMAND [ARGS...]</c>.</summary>
internal static class RunCommand
{
    /// <param name="arguments">The arguments after <c>run</c>, when they are all that will be parsed.</param>
    public static Command Create(IReadOnlyList<string>? arguments = null)
    {
        var options = new RunOptions(arguments);
        var command = new Command("run", "Run a command in a sandbox");
        options.AddTo(command);
        command.SetAction((parsed, cancellationToken) => RunAsync(parsed, options, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parsed, RunOptions o, CancellationToken cancellationToken)
    {
        RunRequest request;
        try
        {
            request = RunRequest.From(parsed, o);
        }
        catch (PolicyException e)
        {
            return ExitCodes.Fail(e.Message);
        }

        var (policy, command) = (request.Policy, request.Command);
        if (request.Explain) return Explain.Print(policy, command);
        if (request.ReproRuns is { } runs)
        {
            // Interrupted, the check stops in order: its run is killed, its backup folder removed, and it exits 130.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var interrupted = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var terminated = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            return await ReproCheckCommand.RunAsync(policy, command, runs, request.Timeout, stop.Token).ConfigureAwait(false);

            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }
        }

        // This thread blocks in sandbox.Wait for the rest of the run: it watches the command's exit, the supervisor's
        // first held call and the registry's requests there, instead of starting a thread for them.
        EventLoop.ServeFromWaits();
        await using var sandbox = new Sandbox(policy, command, StdioMode.Inherit)
        {
            Timeout = request.Timeout,
            DryRun = request.DryRun,
            // As they happen: a client outside needs the real port while the command still runs.
            OnPortMapped = mapping => Console.Error.WriteLine($"sandlock: {mapping}"),
        };
        using var signals = new SignalForwarding(sandbox, PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT);
        try
        {
            sandbox.Start();
        }
        catch (SandboxSetupException e)
        {
            return ExitCodes.Fail(e.Message, ExitCodes.For(e.Failure));
        }
        signals.Started();
        foreach (var degraded in sandbox.Degraded)
            Console.Error.WriteLine($"sandlock: warning: running without {degraded} (allowed by --allow-degraded)");

        // Blocking, not awaiting: an await would resume on a thread-pool thread, which this process has not made yet.
        var result = sandbox.Wait(cancellationToken);
        // A denial names what the command tried (a path, a host): it must not be able to write lines of its own.
        var words = PolicyVocabulary.CommandLine(RunOptions.Value(parsed, o.ProfileFile));
        foreach (var denial in result.Denials) Console.Error.WriteLine($"sandlock: {DisplayText.OneLine(DeniedAccess.Explain(denial, words))}");
        if (request.DryRun)
            foreach (var change in result.Changes) Console.Out.WriteLine(DisplayText.OneLine(change.ToString()));
        if (result.ChangesKeptAt is { } kept) Console.Error.WriteLine($"sandlock: the changes to {policy.Workdir} are kept in {kept}");
        return result.ExitCode;
    }
}
