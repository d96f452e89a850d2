using System.Text;

namespace Sandlock.Build;

/// <summary>
/// The argv that <c>Exec</c> would start (<c>/bin/sh -c ". /tmp/MSBuildTemp.../tmpX.exec.cmd"</c>), recovered from
/// ToolTask's path and command-line string exactly as <see cref="System.Diagnostics.Process"/> splits it on Unix.
/// </summary>
internal sealed record ShellInvocation(IReadOnlyList<string> Argv, string? ScriptPath)
{
    private const string ScriptSuffix = ".exec.cmd";

    public static ShellInvocation From(string pathToTool, string commandLineCommands)
    {
        List<string> argv = [pathToTool, .. SplitArguments(commandLineCommands)];
        return new ShellInvocation(argv, FindScript(argv));
    }

    /// <summary>
    /// The same command for a step inside a chroot, where Exec's temp script (a host file) cannot be seen:
    /// <c>/bin/sh -c</c> with the script's text, which runs in the shell as the sourced script would. The host's
    /// shell path may not exist inside; /bin/sh is where POSIX puts it. Null, with the reason, when the text cannot
    /// be passed as one argument.
    /// </summary>
    public ShellInvocation? InsideChroot(out string? problem)
    {
        problem = null;
        if (ScriptPath is null) return this with { Argv = [ChrootShell, .. Argv.Skip(1)] };
        string text;
        try
        {
            text = File.ReadAllText(ScriptPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read Exec's temp script {ScriptPath}: {e.Message}";
            return null;
        }
        if (Encoding.UTF8.GetByteCount(text) >= MaxArgumentBytes)
        {
            problem = $"under a chroot the command is passed to /bin/sh -c as one argument, and it is longer than the kernel's limit of {MaxArgumentBytes - 1} bytes for one argument";
            return null;
        }
        return new ShellInvocation([ChrootShell, "-c", text], ScriptPath);
    }

    private const string ChrootShell = "/bin/sh";

    // MAX_ARG_STRLEN: 32 pages, the terminating NUL included.
    private const int MaxArgumentBytes = 32 * 4096;

    /// <summary>The temp script Exec wrote: the last word ending in <c>.exec.cmd</c> in the shell's arguments.</summary>
    private static string? FindScript(List<string> argv)
    {
        for (var i = argv.Count - 1; i > 0; i--)
        {
            var end = argv[i].LastIndexOf(ScriptSuffix, StringComparison.Ordinal);
            if (end < 0) continue;
            var start = argv[i].LastIndexOfAny([' ', '\'', '"'], end) + 1;
            var path = argv[i][start..(end + ScriptSuffix.Length)];
            if (Path.IsPathRooted(path)) return path;
        }
        return null;
    }

    /// <summary>The MSVC-compatible rules Process applies to ProcessStartInfo.Arguments on Unix.</summary>
    internal static List<string> SplitArguments(string arguments)
    {
        var result = new List<string>();
        var i = 0;
        while (true)
        {
            while (i < arguments.Length && arguments[i] is ' ' or '\t') i++;
            if (i >= arguments.Length) return result;
            result.Add(NextArgument(arguments, ref i));
        }
    }

    private static string NextArgument(string arguments, ref int i)
    {
        var current = new StringBuilder();
        var inQuotes = false;
        while (i < arguments.Length)
        {
            var backslashes = 0;
            while (i < arguments.Length && arguments[i] == '\\')
            {
                i++;
                backslashes++;
            }
            if (backslashes > 0)
            {
                if (i >= arguments.Length || arguments[i] != '"')
                {
                    current.Append('\\', backslashes);
                }
                else
                {
                    current.Append('\\', backslashes / 2);
                    if (backslashes % 2 != 0)
                    {
                        current.Append('"');
                        i++;
                    }
                }
                continue;
            }

            var c = arguments[i];
            if (c == '"')
            {
                if (inQuotes && i < arguments.Length - 1 && arguments[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else
                {
                    inQuotes = !inQuotes;
                }
                i++;
                continue;
            }
            if (c is ' ' or '\t' && !inQuotes) break;
            current.Append(c);
            i++;
        }
        return current.ToString();
    }
}
