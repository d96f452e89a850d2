using System.CommandLine;

namespace Sandlock.Cli;

/// <summary>How sandlock's arguments are tokenized.</summary>
internal static class CommandLineParsing
{
    /// <summary>No <c>@FILE</c> response files: the original CLI has none, and <c>@/dev/zero</c> would be read without end.</summary>
    public static ParserConfiguration Configuration => new() { ResponseFileTokenReplacer = null };
}
