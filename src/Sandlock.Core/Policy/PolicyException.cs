using Sandlock.Policy;
namespace Sandlock;

/// <summary>
/// A policy that cannot be used as written. <see cref="Source"/> names where the bad value came from
/// (a flag, a policy file with line and column, a builder method or a task parameter). The message is one line:
/// control characters in echoed values are escaped (<see cref="DisplayText.OneLine"/>).
/// </summary>
public class PolicyException : SandlockException
{
    public PolicyException(string source, string problem, int line = 0, int column = 0)
        : base(Format(DisplayText.OneLine(source), DisplayText.OneLine(problem), line, column))
    {
        Source = source;
        Problem = DisplayText.OneLine(problem);
        Line = line;
        Column = column;
    }

    public new string Source { get; }
    public string Problem { get; }
    public int Line { get; }
    public int Column { get; }

    private static string Format(string source, string problem, int line, int column) =>
        line > 0 ? $"{source}:{line}:{column}: {problem}" : $"{source}: {problem}";
}

/// <summary>A policy field whose enforcement is not built yet. It is refused rather than silently ignored.</summary>
public sealed class NotSupportedYetException(string source, string field)
    : PolicyException(source, $"not supported yet: {field}")
{
    public string Field { get; } = field;
}
