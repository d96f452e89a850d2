using System.Globalization;
using Sandlock.Policy.Settings;
using Tomlyn.Syntax;

namespace Sandlock.Policy.Files;

/// <summary>How one key of a policy file is read.</summary>
internal abstract record KeyBinding;

/// <summary>A key that takes one value (possibly an array).</summary>
internal sealed record ValueBinding(Action<TomlValueReader, PolicyFileContent> Read) : KeyBinding;

/// <summary>A key that is itself a table of named values, such as <c>[program] env</c>.</summary>
internal sealed record TableBinding(string Expected, Action<string, TomlValueReader, PolicyFileContent> ReadItem) : KeyBinding;

/// <summary>
/// The sections and keys of <c>sandlock.toml</c> (the original sandlock profile schema): <c>[program] exec</c> and
/// <c>args</c>, which name the command, and each setting's key from <see cref="PolicySettings"/>. Values are
/// type-checked while reading; builder calls run later.
/// </summary>
internal static class PolicyFileSchema
{
    private static readonly (string Key, KeyBinding Binding)[] Command =
    [
        ("exec", new ValueBinding((v, c) => c.Exec = (v.String("a program name or path"), v.Location))),
        ("args", new ValueBinding((v, c) => c.Args = ([.. v.Strings()], v.Location))),
    ];

    public static IReadOnlyList<(string Name, IReadOnlyList<(string Key, KeyBinding Binding)> Keys)> Sections { get; } =
        [.. PolicySettings.In(FrontDoor.PolicyFile)
            .GroupBy(s => s.FileKey!.Value.Section)
            .Select(g => (g.Key, (IReadOnlyList<(string, KeyBinding)>)[
                .. g.Key == "program" ? Command : [],
                .. g.Select(s => (s.FileKey!.Value.Key, BindingOf(s)))]))];

    public static string SectionList => string.Join(", ", Sections.Select(s => $"[{s.Name}]"));

    public static IReadOnlyList<(string Key, KeyBinding Binding)>? FindSection(string name) =>
        Sections.FirstOrDefault(s => s.Name == name).Keys;

    public static string KeyList(IReadOnlyList<(string Key, KeyBinding Binding)> keys) => string.Join(", ", keys.Select(k => k.Key));

    public static KeyBinding? FindKey(IReadOnlyList<(string Key, KeyBinding Binding)> keys, string key) =>
        keys.FirstOrDefault(k => k.Key == key).Binding;

    private static KeyBinding BindingOf(PolicySetting setting) => setting.Kind.File == FileForm.StringTable
        ? new TableBinding("a table of strings", (name, v, c) =>
        {
            // The entry becomes KEY=VALUE: a name holding '=' would split elsewhere.
            if (name.Contains('=')) throw v.Error($"invalid environment variable name '{name}'");
            c.Add(Prepare(setting, $"{name}={v.String()}", v));
        })
        : setting.Shape == SettingShape.Many
            // Each item gets its own source so a bad path or port points at that item, not the key.
            ? new ValueBinding((v, c) =>
            {
                foreach (var item in v.Array(setting.Kind.Items)) c.Add(Prepare(setting, Text(setting.Kind, item), item));
            })
            : new ValueBinding((v, c) => c.Add(Prepare(setting, Text(setting.Kind, v), v)));

    // Reading happens now so type errors surface at load time; the builder call is deferred to ApplyTo.
    private static Action<SandboxPolicyBuilder> Prepare(PolicySetting setting, string text, TomlValueReader v)
    {
        try
        {
            return setting.Prepare(text, v.Source);
        }
        catch (PolicyException e)
        {
            throw v.Error(e.Problem);
        }
    }

    /// <summary>The value as the text a flag would give, once its TOML type is what the kind expects.</summary>
    private static string Text(ValueKind kind, TomlValueReader v) => kind.File switch
    {
        FileForm.String => v.String(kind.Expected),
        FileForm.IntegerOrString => v.IntegerOrString(kind.Expected),
        FileForm.Integer => v.Int32().ToString(CultureInfo.InvariantCulture),
        FileForm.NonNegativeInteger => v.UInt64().ToString(CultureInfo.InvariantCulture),
        FileForm.Boolean => v.Boolean() ? "true" : "false",
        FileForm.StringOrDateTime => v.Node is StringValueSyntax ? v.String(kind.Expected) : v.DateTime(kind.Expected).ToString("O", CultureInfo.InvariantCulture),
        FileForm.Integers => string.Join(',', v.Int32s()),
        _ => throw new InvalidOperationException($"{kind.File} is not a single value"),
    };
}
