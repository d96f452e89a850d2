using System.Globalization;

namespace Sandlock.Policy.Settings;

/// <summary>How a value is written in a policy file; the file reader checks the TOML type before anything is applied.</summary>
internal enum FileForm { String, IntegerOrString, Integer, NonNegativeInteger, Boolean, StringOrDateTime, Integers, StringTable }

/// <summary>
/// What a setting's value is: how it reads from text (a flag, a task parameter, an attribute property) and how a
/// policy file writes it. <see cref="Expected"/> is what error messages and help say is wanted.
/// </summary>
internal abstract class ValueKind(string expected, FileForm file, string items)
{
    public string Expected { get; } = expected;

    /// <summary>What a list of such values holds, for "expected an array of ...".</summary>
    public string Items { get; } = items;

    public FileForm File { get; } = file;

    /// <summary>The value's .NET type once parsed (a CLI option of that type reports a bad number while parsing).</summary>
    public abstract Type Type { get; }
}

internal sealed class ValueKind<T>(string expected, FileForm file, Func<string, string, T> parse, string items = "strings")
    : ValueKind(expected, file, items)
{
    public override Type Type => typeof(T);

    /// <summary>The value of <paramref name="text"/>; throws <see cref="PolicyException"/> naming <paramref name="source"/>.</summary>
    public T Parse(string text, string source) => parse(text, source);
}

/// <summary>The value kinds of the policy settings.</summary>
internal static class ValueKinds
{
    public static ValueKind<string> Path { get; } = new("a path", FileForm.String, (text, _) => text, "paths");
    public static ValueKind<string> Mount { get; } = Text("a mount such as \"/data:/srv/data:ro\"");
    public static ValueKind<string> NetSpec { get; } = Text("a network rule such as \"example.com:443\" or \":8080\"");
    public static ValueKind<string> HttpRule { get; } = Text("an HTTP rule such as \"GET example.com/*\"");
    public static ValueKind<string> Credential { get; } = Text("HOST=ENVVAR");
    public static ValueKind<string> Syscall { get; } = Text("a syscall name");
    public static ValueKind<string> SyscallGroup { get; } = Text("a syscall group name");
    public static ValueKind<string> Protection { get; } = Text("a protection name");
    public static ValueKind<string> SandboxName { get; } = Text("a name");
    public static ValueKind<string> Assignment { get; } = new("KEY=VALUE", FileForm.StringTable, (text, _) => text);
    public static ValueKind<string> Size { get; } = new("a size such as \"512M\" or an integer byte count", FileForm.IntegerOrString, (text, _) => text.Trim());
    public static ValueKind<string> Ports { get; } = new("a port number or a port string such as \"8000-8010\"", FileForm.IntegerOrString, (text, _) => text, "ports");
    public static ValueKind<string> Time { get; } = new("an ISO 8601 string or a TOML date-time", FileForm.StringOrDateTime, (text, _) => text.Trim());
    public static ValueKind<int> Int32 { get; } = new("a whole number", FileForm.Integer, ParseInt32);
    // ulong.MaxValue written out: formatting it here was a CLI run's only use of number formatting and the char array
    // pool before the sandbox starts (12 of its ~380 page faults).
    public static ValueKind<ulong> Seed { get; } = new("a whole number from 0 to 18446744073709551615", FileForm.NonNegativeInteger, ParseUInt64);
    public static ValueKind<bool> Switch { get; } = new("true or false", FileForm.Boolean, ParseBoolean);
    public static ValueKind<int[]> Numbers { get; } = new("numbers separated by commas, e.g. 0,1", FileForm.Integers, ParseNumbers);
    public static ValueKind<BranchAction> Action { get; } = new("one of \"commit\", \"abort\", \"keep\"", FileForm.String, ParseAction);

    private static ValueKind<string> Text(string expected) => new(expected, FileForm.String, (text, _) => text);

    private static int ParseInt32(string text, string source) =>
        int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new PolicyException(source, $"invalid number '{text}': expected {Int32.Expected}");

    private static ulong ParseUInt64(string text, string source) =>
        ulong.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new PolicyException(source, $"invalid number '{text}': expected {Seed.Expected}");

    private static bool ParseBoolean(string text, string source) =>
        bool.TryParse(text.Trim(), out var on) ? on : throw new PolicyException(source, $"invalid value '{text}': expected true or false");

    private static int[] ParseNumbers(string text, string source) =>
        [.. text.Split(',').Select(part => int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new PolicyException(source, $"invalid list '{text}': expected numbers separated by commas"))];

    private static BranchAction ParseAction(string text, string source) => text switch
    {
        "commit" => BranchAction.Commit,
        "abort" => BranchAction.Abort,
        "keep" => BranchAction.Keep,
        _ => throw new PolicyException(source, $"expected {Action.Expected}, got \"{text}\""),
    };
}
