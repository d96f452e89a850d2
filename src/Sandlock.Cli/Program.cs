using System.CommandLine;
using Sandlock.Cli;

const string Description = "sandlock: run commands confined by Landlock and seccomp, without root";
// The help and --version options of a RootCommand take their descriptions from resources, which in a NativeAOT
// binary costs a reflection scan of every assembly (~1 ms of a 5 ms start): a command line that cannot ask for
// them parses against a root without them. Asked or not, what the user sees is the same.
Command root = args.Length == 0 || args.Any(arg => arg is "-h" or "--help" or "-?" or "/?" or "/h" or "--version" || arg.StartsWith('['))
    ? new RootCommand(Description)
    : new Command("sandlock", Description);
foreach (var command in new[]
{
    RunCommand.Create(),
    CheckCommand.Create(),
    ProfileCommand.Create(),
    PsCommand.Create(),
    InspectCommand.Create(),
    KillCommand.Create(),
    LearnCommand.Create(),
})
    root.Subcommands.Add(command);

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
