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
