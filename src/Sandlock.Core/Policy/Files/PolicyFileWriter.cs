using System.Text;
using Sandlock.Policy.Settings;

namespace Sandlock.Policy.Files;

/// <summary>
/// Writes a policy as a <c>sandlock.toml</c> that <see cref="PolicyFile"/> reads back into the same policy: every
/// setting with a policy-file key that differs from its default, in the table's section and key order, paths absolute.
/// What no policy file can hold is returned beside the text, by setting name: the settings without a file key (name,
/// no_supervisor, allow_degraded, disable). A random_seed above 2^63-1, past TOML's signed integers, is written as a
/// string of digits, which the reader takes too.
/// </summary>
internal static class PolicyFileWriter
{
    public static WrittenPolicy Write(SandboxPolicy policy, IEnumerable<string> header)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var beyond = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var text = new StringBuilder();
        foreach (var line in header) text.Append("# ").AppendLine(line.ReplaceLineEndings(" "));
        string? section = null;
        foreach (var setting in PolicySettings.In(FrontDoor.PolicyFile))
        {
            var values = setting.ValuesIn(policy).ToList();
            if (values.Count == 0) continue;
            var (name, key) = setting.FileKey!.Value;
            if (name != section)
            {
                if (text.Length > 0) text.AppendLine();
                text.Append('[').Append(name).AppendLine("]");
                section = name;
            }
            text.Append(key).Append(" = ").AppendLine(Value(setting, values));
        }
        foreach (var setting in PolicySettings.All.Where(s => s.FileKey is null))
            if (setting.ValuesIn(policy).ToArray() is { Length: > 0 } values) beyond[setting.Name] = values;
        return new WrittenPolicy(text.ToString(), beyond);
    }

    private static string Value(PolicySetting setting, List<string> values)
    {
        if (setting.Kind.File == FileForm.StringTable)
            return "{ " + string.Join(", ", values.Select(v => v.Split('=', 2)).Select(kv => $"{TomlString.Quote(kv[0])} = {TomlString.Quote(kv[1])}")) + " }";
        var items = values.Select(v => Item(setting.Kind.File, v));
        return setting.Shape == SettingShape.Many ? "[" + string.Join(", ", items) + "]" : items.Single();
    }

    /// <summary>One value in the TOML type <see cref="PolicyFileSchema"/> expects for the kind.</summary>
    private static string Item(FileForm form, string text) => form switch
    {
        FileForm.NonNegativeInteger when !long.TryParse(text, out _) => TomlString.Quote(text),
        FileForm.Integer or FileForm.NonNegativeInteger or FileForm.Boolean => text,
        FileForm.IntegerOrString when text.All(char.IsAsciiDigit) => text,
        FileForm.Integers => "[" + string.Join(", ", text.Split(',')) + "]",
        _ => TomlString.Quote(text),
    };
}

/// <summary>A policy file's text, and the settings it cannot hold as texts their setting takes back, by setting name.</summary>
internal sealed record WrittenPolicy(string Text, Dictionary<string, string[]> Beyond);
