using Sandlock.Confinement;
using Sandlock.Policy;

namespace Sandlock.Cli;

/// <summary>Exit statuses of <c>sandlock run</c> (README, "Exit status"), besides the command's own.</summary>
internal static class ExitCodes
{
    public const int Timeout = 124;
    public const int SetupError = 125;
    public const int NotExecutable = 126;
    public const int NotFound = 127;

    public static int For(SetupFailure failure) => failure switch
    {
        SetupFailure.CommandNotFound => NotFound,
        SetupFailure.CommandNotExecutable => NotExecutable,
        _ => SetupError,
    };

    /// <summary>Prints the one line a setup failure gets and returns its status.</summary>
    public static int Fail(string message, int status = SetupError)
    {
        // Messages echo values (paths, names, the command): one line whatever they hold.
        Console.Error.WriteLine($"sandlock: {DisplayText.OneLine(message)}");
        return status;
    }
}
