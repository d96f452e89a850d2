using System.CommandLine;
using Sandlock.Cli;

var root = new RootCommand("sandlock: run commands confined by Landlock and seccomp, without root")
{
    RunCommand.Create(),
    CheckCommand.Create(),
    ProfileCommand.Create(),
    PsCommand.Create(),
    InspectCommand.Create(),
    KillCommand.Create(),
    LearnCommand.Create(),
};

// Alone, sandlock says how to use it rather than that a command is missing.
var parsed = root.Parse(args.Length == 0 ? ["--help"] : args, CommandLineParsing.Configuration);
if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
    return ExitCodes.Fail(parsed.Errors[0].Message);
try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
// Interrupted: what a shell reports for SIGINT (128 + 2).
catch (OperationCanceledException)
{
    return 130;
}
catch (Exception e)
{
    // A bug of ours still gets the one-line contract; the sandbox, if any, was disposed on the way out.
    return ExitCodes.Fail($"internal error: {e.GetType().Name}: {e.Message}");
}
