using Tomlyn.Syntax;

namespace Sandlock.Policy.Files;

/// <summary>A 1-based line and column in a policy file.</summary>
internal readonly record struct TomlLocation(string File, int Line, int Column)
{
    // Tomlyn positions are 0-based; people and editors count from 1.
    public static TomlLocation Of(string file, SyntaxNode node) => Of(file, node.Span.Start);

    public static TomlLocation Of(string file, TextPosition position) => new(file, position.Line + 1, position.Column + 1);

    /// <summary>The <c>FILE:LINE:COL</c> form that builder setters take as their source.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}";

    public PolicyException Error(string problem) => new(File, problem, Line, Column);
}
