using Sandlock.Confinement;

namespace Sandlock.Lifecycle;

/// <summary>
/// Finds the executable for a command name the way execvp does, using the child's PATH. Under a chroot the
/// command runs after the chroot: the lookup happens inside it, and the path returned is the one inside.
/// </summary>
internal static class CommandResolver
{
    public static string Resolve(string command, IReadOnlyList<string> environment, string workingDirectory, Policy.ChildRoot root)
    {
        if (command.Length == 0)
            throw new SandboxSetupException(SetupFailure.CommandNotFound, "empty command");
        if (command.Contains('/'))
            return Path.GetFullPath(command, workingDirectory);
        Func<string, string> host = root.HostPathOf;

        var path = environment.FirstOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..]
                   ?? "/usr/local/bin:/usr/bin:/bin";
        string? notExecutable = null;
        foreach (var dir in path.Split(':'))
        {
            var candidate = Path.Combine(dir.Length == 0 ? workingDirectory : Path.GetFullPath(dir, workingDirectory), command);
            if (!File.Exists(host(candidate))) continue;
            if (IsExecutable(host(candidate))) return candidate;
            notExecutable ??= candidate;
        }
        // Let execve report the precise reason for a file that exists but cannot be run.
        return notExecutable ?? throw new SandboxSetupException(SetupFailure.CommandNotFound, $"{command}: command not found");
    }

    private static bool IsExecutable(string file)
    {
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        try { return (File.GetUnixFileMode(file) & anyExecute) != 0; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
