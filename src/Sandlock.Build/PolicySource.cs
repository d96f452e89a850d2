using System.Globalization;
using System.Text.RegularExpressions;

namespace Sandlock.Build;

/// <summary>Reads the <c>FILE:LINE:COL</c> source that a policy file gives each of its settings.</summary>
internal static partial class PolicySource
{
    [GeneratedRegex(@"^(?<file>.+):(?<line>\d+):(?<column>\d+)$")]
    private static partial Regex FileLineColumn();

    public static (string File, int Line, int Column)? FileLocation(string source) =>
        FileLineColumn().Match(source) is { Success: true } m
            ? (m.Groups["file"].Value, int.Parse(m.Groups["line"].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups["column"].Value, CultureInfo.InvariantCulture))
            : null;
}
