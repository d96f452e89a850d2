using System.CommandLine;
using System.Runtime.InteropServices;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Policy.Learning;

namespace Sandlock.Cli;

/// <summary>
/// <c>sandlock learn [-o FILE] [RUN OPTIONS] -- COMMAND [ARGS...]</c>: runs the command observed (confined only as
/// the run options ask), then writes a policy file that lets that run pass, to FILE or stdout. The exit status is
/// the command's, as for <c>sandlock run</c>.
/// </summary>
internal static class LearnCommand
{
    /// <param name="arguments">The arguments after <c>learn</c>, when they are all that will be parsed.</param>
    public static Command Create(IReadOnlyList<string>? arguments = null)
    {
        var options = new RunOptions(arguments);
        var output = new Option<string?>("--output", "-o") { HelpName = "FILE", Description = "Write the learned policy to FILE (default: stdout)" };
        var command = new Command("learn", "Run a command once, observed, and write a policy file that lets it run");
        options.AddTo(command);
        command.Options.Add(output);
        command.SetAction((parsed, cancellationToken) => LearnAsync(parsed, options, output, cancellationToken));
        return command;
    }

    private static async Task<int> LearnAsync(ParseResult parsed, RunOptions o, Option<string?> output, CancellationToken cancellationToken)
    {
        RunRequest request;
        try
        {
            // Each of these would run the command otherwise than once, as it is (or not at all).
            foreach (var option in new Option?[] { o.Explain, o.DryRun, o.ReproCheck })
                if (option is not null && parsed.GetResult(option) is { Implicit: false })
                    throw new PolicyException(option.Name, "cannot be combined with sandlock learn");
            request = RunRequest.From(parsed, o);
        }
        catch (PolicyException e)
        {
            return ExitCodes.Fail(e.Message);
        }
        var file = parsed.GetValue(output) is { } named ? Path.GetFullPath(named) : null;
        if (file is not null && Path.GetDirectoryName(file) is { } folder && !Directory.Exists(folder))
            return ExitCodes.Fail($"{output.Name}: no such folder: {folder}");

        await using var run = new LearningRun(request.Policy, request.Command, StdioMode.Inherit, request.Timeout);
        using var signals = new SignalForwarding(run.Sandbox, PosixSignal.SIGINT, PosixSignal.SIGTERM);
        try
        {
            run.Start();
        }
        catch (SandboxSetupException e)
        {
            return ExitCodes.Fail(e.Message, ExitCodes.For(e.Failure));
        }
        signals.Started();
        var (result, observed) = await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        var words = PolicyVocabulary.CommandLine(RunOptions.Value(parsed, o.ProfileFile));
        foreach (var denial in result.Denials) Console.Error.WriteLine($"sandlock: {DisplayText.OneLine(DeniedAccess.Explain(denial, words))}");

        var learned = LearnedPolicyWriter.Write(observed, ProtectedFolders.ForCurrentUser());
        foreach (var left in learned.NotGranted) Console.Error.WriteLine($"sandlock: learn: not granted: {DisplayText.OneLine(left)}");
        if (file is null)
        {
            Console.Out.Write(learned.Text);
        }
        else
        {
            try { await File.WriteAllTextAsync(file, learned.Text, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return ExitCodes.Fail($"{output.Name}: cannot write {file}: {e.Message}");
            }
            Console.Error.WriteLine($"sandlock: learn: wrote {DisplayText.OneLine(file)}");
        }
        return result.ExitCode;
    }
}
