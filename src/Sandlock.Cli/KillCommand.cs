using System.CommandLine;
using Sandlock.Lifecycle.Registry;

namespace Sandlock.Cli;

/// <summary>
/// <c>sandlock kill ID|NAME</c>: the process that started the sandbox kills its whole tree, so that process's own
/// result says it was killed (<c>sandlock run</c> exits with 137).
/// </summary>
internal static class KillCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("sandbox") { Description = "The sandbox's id, or its name if no other running sandbox has it" };
        var command = new Command("kill", "Kill a running sandbox and every process in it") { target };
        command.SetAction(parsed => Kill(parsed.GetValue(target)!));
        return command;
    }

    private static int Kill(string target)
    {
        try
        {
            var killed = RegistryClient.Kill(target);
            Console.WriteLine($"killed {RegistryOutput.Label(killed)}, pid {killed.Pid}");
            return 0;
        }
        catch (RegistryException e)
        {
            return ExitCodes.Fail(e.Message, 1);
        }
    }
}
