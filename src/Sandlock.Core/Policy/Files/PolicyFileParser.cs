using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Sandlock.Policy.Files;

/// <summary>
/// Turns the text of a <c>sandlock.toml</c> into <see cref="PolicyFileContent"/>, rejecting TOML syntax errors,
/// unknown sections and keys, and values of the wrong type, each with the file, line and column.
/// </summary>
internal static class PolicyFileParser
{
    /// <summary>
    /// Arrays and inline tables nested deeper than this are refused: a policy needs two levels (an array of strings,
    /// an inline table of strings), and each level costs the parser stack.
    /// </summary>
    public const int MaxNesting = 8;

    private static readonly string TooDeep = $"arrays or inline tables nested more than {MaxNesting} deep: a policy needs at most 2";

    // A backstop: TomlNesting finds deep nesting first, with its position.
    private static readonly TomlSerializerOptions Options = new() { MaxDepth = MaxNesting + 2 };

    public static PolicyFileContent Parse(string text, string file)
    {
        if (text.Length > PolicyFileText.MaxBytes)
            throw new PolicyException(file, $"policy file is larger than {PolicyFileText.MaxBytes / 1024} KiB: expected a small text file");
        // TOML allows no NUL anywhere, and a parser that reports each one separately would take long over many.
        if (text.IndexOf('\0') is var nul and >= 0)
            throw At(text, nul, file, "NUL character: a policy file is text");
        if (TomlNesting.FirstTooDeep(text, MaxNesting) is var deep and >= 0)
            throw At(text, deep, file, TooDeep);

        DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(text, Options, file, validate: true);
        }
        catch (TomlException e)
        {
            // Tomlyn throws (rather than reporting a diagnostic) when nesting passes MaxDepth.
            var problem = e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase)
                ? TooDeep
                : $"invalid TOML: {e.Message}";
            throw new PolicyException(file, problem, e.Line ?? 0, e.Column ?? 0);
        }
        ThrowOnSyntaxErrors(document, file);

        var content = new PolicyFileContent();
        foreach (var keyValue in document.KeyValues)
            Read([], keyValue, file, content);
        foreach (var table in document.Tables)
        {
            var header = KeyPath(table.Name!);
            CheckHeader(table, header, file);
            content.SectionLines.TryAdd(header[0], TomlLocation.Of(file, table.Name!).Line);
            foreach (var keyValue in table.Items)
                Read(header, keyValue, file, content);
        }
        if (content.Args is { } args && content.Exec is null)
            throw args.Location.Error("[program] args: given without [program] exec");
        return content;
    }

    private static PolicyException At(string text, int index, string file, string problem)
    {
        var before = text.AsSpan(0, index);
        var lineStart = before.LastIndexOf('\n') + 1;
        return new PolicyException(file, problem, before.Count('\n') + 1, index - lineStart + 1);
    }

    private static void ThrowOnSyntaxErrors(DocumentSyntax document, string file)
    {
        var errors = document.Diagnostics.Where(d => d.Kind == DiagnosticMessageKind.Error).ToList();
        if (errors.Count == 0) return;
        var first = errors[0];
        var more = errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "";
        throw TomlLocation.Of(file, first.Span.Start).Error($"invalid TOML: {first.Message}{more}");
    }

    private static void CheckHeader(TableSyntaxBase table, string[] header, string file)
    {
        var at = TomlLocation.Of(file, table.Name!);
        var keys = SectionKeys(header[0], at);
        if (table is TableArraySyntax)
            throw at.Error($"[[{string.Join('.', header)}]]: arrays of tables are not used in policy files; write [{header[0]}]");
        if (header.Length == 1) return;
        var binding = Binding(keys, header[0], header[1], at);
        if (binding is not TableBinding)
            throw at.Error($"[{header[0]}] {header[1]}: takes a single value, not a table; write {header[1]} = ... under [{header[0]}]");
    }

    private static void Read(string[] prefix, KeyValueSyntax keyValue, string file, PolicyFileContent content)
    {
        var path = prefix.Concat(KeyPath(keyValue.Key!)).ToArray();
        var at = TomlLocation.Of(file, keyValue.Key!);
        if (path.Length == 1)
            throw at.Error($"unknown key '{path[0]}' outside any section; expected one of {PolicyFileSchema.SectionList}");

        var (section, key) = (path[0], path[1]);
        var binding = Binding(SectionKeys(section, at), section, key, at);
        content.KeyLines.TryAdd((section, key), at.Line);
        var value = new TomlValueReader(file, $"[{section}] {key}", keyValue.Value!);

        switch (binding)
        {
            case TableBinding table when path.Length > 2:
                ReadTableItem(table, section, key, string.Join('.', path[2..]), keyValue.Value!, file, content);
                break;
            case TableBinding table when keyValue.Value is InlineTableSyntax inline:
                foreach (var item in inline.Items)
                    if (item.KeyValue is { Key: { } itemKey, Value: { } itemValue })
                        ReadTableItem(table, section, key, string.Join('.', KeyPath(itemKey)), itemValue, file, content);
                break;
            case TableBinding table:
                throw value.WrongType(table.Expected);
            case ValueBinding when path.Length > 2:
                throw at.Error($"[{section}] {key}: takes a single value, not a table");
            case ValueBinding single:
                single.Read(value, content);
                break;
        }
    }

    private static void ReadTableItem(TableBinding table, string section, string key, string name, ValueSyntax value, string file, PolicyFileContent content) =>
        table.ReadItem(name, new TomlValueReader(file, $"[{section}] {key}.{name}", value), content);

    private static IReadOnlyList<(string Key, KeyBinding Binding)> SectionKeys(string section, TomlLocation at) =>
        PolicyFileSchema.FindSection(section)
        ?? throw at.Error($"unknown section [{section}]; expected one of {PolicyFileSchema.SectionList}");

    private static KeyBinding Binding(IReadOnlyList<(string Key, KeyBinding Binding)> keys, string section, string key, TomlLocation at) =>
        PolicyFileSchema.FindKey(keys, key)
        ?? throw at.Error($"unknown key '{key}' in [{section}]; expected one of {PolicyFileSchema.KeyList(keys)}");

    private static string[] KeyPath(KeySyntax key) =>
        [KeyPart(key.Key!), .. key.DotKeys.Select(d => KeyPart(d.Key!))];

    private static string KeyPart(BareKeyOrStringValueSyntax part) => part switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? "",
        StringValueSyntax quoted => quoted.Value ?? "",
        _ => part.ToString() ?? "",
    };
}
