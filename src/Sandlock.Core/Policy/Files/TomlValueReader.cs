using Tomlyn;
using Tomlyn.Syntax;

namespace Sandlock.Policy.Files;

/// <summary>
/// Reads one TOML value as the type a policy key expects, failing with a <see cref="PolicyException"/>
/// that names the key and points at the value.
/// </summary>
internal readonly struct TomlValueReader(string file, string name, ValueSyntax node)
{
    /// <summary>What error messages call the value, e.g. <c>[limits] processes</c>.</summary>
    public string Name { get; } = name;

    public ValueSyntax Node { get; } = node;

    public TomlLocation Location { get; } = TomlLocation.Of(file, node);

    /// <summary>The builder source for this value: <c>FILE:LINE:COL</c>.</summary>
    public string Source => Location.ToString();

    public PolicyException Error(string problem) => Location.Error($"{Name}: {problem}");

    public PolicyException WrongType(string expected) => Error($"expected {expected}, got {Describe(Node)}");

    public string String(string expected = "a string") => Node switch
    {
        // A NUL (written \u0000) would cut the value short where the kernel reads it.
        StringValueSyntax { Value: { } text } when text.Contains('\0') => throw Error("a NUL character (\\u0000) is not allowed in a value"),
        StringValueSyntax s => s.Value ?? "",
        _ => throw WrongType(expected),
    };

    public bool Boolean() => Node is BooleanValueSyntax b ? b.Value : throw WrongType("a boolean");

    public long Int64(string expected = "an integer") =>
        Node is IntegerValueSyntax i ? i.Value : throw WrongType(expected);

    public int Int32()
    {
        var value = Int64();
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw Error($"{value} is out of range: expected an integer from {int.MinValue} to {int.MaxValue}");
    }

    /// <summary>
    /// A non-negative integer, or one written as a string of digits: TOML's integers are signed 64-bit, so a value
    /// above 2^63-1 (a 64-bit seed may be one) can only be a string.
    /// </summary>
    public ulong UInt64()
    {
        if (Node is StringValueSyntax s)
            return ulong.TryParse(s.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var big)
                ? big
                : throw Error($"\"{s.Value}\" is not a whole number from 0 to {ulong.MaxValue}");
        var value = Int64("a non-negative integer (or one above 2^63-1 as a string of digits)");
        return value >= 0 ? (ulong)value : throw Error($"{value} is negative: expected a non-negative integer");
    }

    /// <summary>An integer or a string, returned as text for parsers such as <see cref="PortList"/> and <see cref="ByteSize"/>.</summary>
    public string IntegerOrString(string expected) => Node switch
    {
        IntegerValueSyntax i => i.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        StringValueSyntax s => s.Value ?? "",
        _ => throw WrongType(expected),
    };

    public IEnumerable<TomlValueReader> Array(string expectedItems)
    {
        if (Node is not ArraySyntax array) throw WrongType($"an array of {expectedItems}");
        var items = new List<TomlValueReader>();
        var index = 0;
        foreach (var item in array.Items)
        {
            index++;
            if (item.Value is { } value) items.Add(new TomlValueReader(Location.File, $"{Name} item {index}", value));
        }
        return items;
    }

    public IEnumerable<string> Strings() => Array("strings").Select(item => item.String());

    public IEnumerable<int> Int32s() => Array("integers").Select(item => item.Int32());

    /// <summary>A TOML date-time; one without an offset is taken as UTC, as ISO 8601 strings are.</summary>
    public DateTimeOffset DateTime(string expected)
    {
        if (Node is not DateTimeValueSyntax d) throw WrongType(expected);
        var value = d.Value;
        return value.Kind switch
        {
            TomlDateTimeKind.OffsetDateTimeByZ or TomlDateTimeKind.OffsetDateTimeByNumber => value.DateTime,
            TomlDateTimeKind.LocalDateTime or TomlDateTimeKind.LocalDate => new DateTimeOffset(value.DateTime.DateTime, TimeSpan.Zero),
            _ => throw Error($"expected {expected}, got a time of day without a date"),
        };
    }

    public static string Describe(ValueSyntax node) => node switch
    {
        StringValueSyntax => "a string",
        IntegerValueSyntax => "an integer",
        FloatValueSyntax => "a float",
        BooleanValueSyntax => "a boolean",
        DateTimeValueSyntax => "a date-time",
        ArraySyntax => "an array",
        InlineTableSyntax => "a table",
        _ => "a " + node.Kind.ToString().ToLowerInvariant(),
    };
}
