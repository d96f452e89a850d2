using System.CommandLine;
using Sandlock.Cli;

// `sandlock --version` alone prints what System.CommandLine's version option would (the entry assembly's informational
// version), without the root command, whose help and version options read their descriptions from resources (28 of
// the ~284 page faults of this start).
if (args is ["--version"])
{
    Console.Out.WriteLine(ToolVersion.Text);
    return 0;
}

const string Description = "sandlock: run commands confined by Landlock and seccomp, without root";
var full = args.Length == 0 || args.Any(arg => arg is "-h" or "--help" or "-?" or "/?" or "/h" or "--version" || arg.StartsWith('['));
// run and learn make only the policy options their arguments name, unless help may list them all.
IReadOnlyList<string>? afterName = full ? null : args[1..];
(string Name, Func<Command> Create)[] subcommands =
[
    ("run", () => RunCommand.Create(afterName)),
    ("check", CheckCommand.Create),
    ("profile", ProfileCommand.Create),
    ("ps", PsCommand.Create),
    ("inspect", InspectCommand.Create),
    ("kill", KillCommand.Create),
    ("learn", () => LearnCommand.Create(afterName)),
];
// Start-up is most of a short sandbox's time, so the command line is built only as far as these arguments need:
// - the help and --version options of a RootCommand take their descriptions from resources, which in a NativeAOT
//   binary costs a reflection scan of every assembly (~1 ms of a 5 ms start): without a way to ask for them, the
//   root has none;
// - only the subcommand named is built (run and learn have some sixty options each), with the options its
//   arguments name; a name that is none of them gets them all, for the error to list.
// Asked or not, what the user sees is the same.
Command root = full ? new RootCommand(Description) : new Command("sandlock", Description);
var onlyNamed = !full && Array.Exists(subcommands, s => s.Name == args[0]);
foreach (var (name, create) in subcommands)
    if (!onlyNamed || name == args[0]) root.Subcommands.Add(create());

// Alone, sandlock says how to use it rather than that a command is missing.
var parsed = root.Parse(args.Length == 0 ? ["--help"] : args, CommandLineParsing.Configuration);
if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
    return ExitCodes.Fail(parsed.Errors[0].Message);
try
{
    // Without System.CommandLine's termination handler: run and learn pass SIGINT, SIGTERM, ... on to the command, whose
    // exit is theirs, and a repro check stops on them itself. The handler only doubled that, and set up the console's
    // signal handling at every start (11 page faults, ~0.1 ms of `sandlock run`).
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
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
