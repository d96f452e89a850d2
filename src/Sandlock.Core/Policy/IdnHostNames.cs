using System.Globalization;
using System.Text;

namespace Sandlock.Policy;

/// <summary>
/// Host names in their ASCII (IDNA, punycode) form, so that <c>bücher.example</c> and <c>xn--bcher-kva.example</c>
/// are one host to the HTTP rules. Without ICU (the NativeAOT CLI runs with invariant globalization) IdnMapping
/// only encodes and decodes punycode, with neither Unicode normalization nor the UTS #46 mappings; a label is
/// therefore taken only in the one form that encodes and decodes back to itself, and characters ICU would map to
/// others are refused, so that a name reads the same with ICU and without.
/// </summary>
internal static class IdnHostNames
{
    private const string AcePrefix = "xn--";
    // Std3: an internationalized label is letters, digits and inner hyphens once encoded, like any DNS label.
    private static readonly IdnMapping Idna = new() { UseStd3AsciiRules = true };

    /// <summary>
    /// The ASCII form of a lower-case name without a trailing dot: labels in Unicode are encoded, <c>xn--</c> labels
    /// checked; other ASCII labels are left as they are. Throws <see cref="FormatException"/> naming the label.
    /// </summary>
    public static string ToAscii(string name)
    {
        if (name.All(char.IsAscii) && !name.StartsWith(AcePrefix, StringComparison.Ordinal) && !name.Contains("." + AcePrefix, StringComparison.Ordinal))
            return CheckedAscii(name);
        return string.Join('.', name.Split('.').Select(LabelToAscii));
    }

    /// <summary>
    /// A plain name as DNS and servers read it: letters, digits, hyphens and (for names such as <c>_service</c>)
    /// underscores, in non-empty labels. A control character, space, <c>%</c>, <c>@</c> or other character in a Host
    /// would be read differently by the server the request goes to than by the rules that let it through.
    /// </summary>
    private static string CheckedAscii(string name)
    {
        foreach (var label in name.Split('.'))
        {
            if (label.Length == 0) throw new FormatException($"'{Shown(name)}' has an empty label");
            foreach (var c in label)
                if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
                    throw new FormatException($"'{Shown(name)}' holds {(char.IsControl(c) ? $"the control character U+{(int)c:X4}" : $"'{c}'")}, which no host name has");
        }
        return name;
    }

    private static string Shown(string name) => string.Concat(name.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));

    private static string LabelToAscii(string label)
    {
        var ascii = label.All(char.IsAscii);
        if (ascii && !label.StartsWith(AcePrefix, StringComparison.Ordinal)) return CheckedAscii(label);
        string encoded, decoded;
        try
        {
            encoded = ascii ? label : Idna.GetAscii(label).ToLowerInvariant();
            decoded = Idna.GetUnicode(encoded);
            if (Idna.GetAscii(decoded) != encoded) throw new ArgumentException("it does not encode back to itself");
        }
        catch (ArgumentException e)
        {
            var why = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new FormatException($"the label '{label}' is not a valid internationalized label: {why}", e);
        }
        foreach (var rune in decoded.EnumerateRunes())
            if (NotInIdna(rune))
                throw new FormatException($"the label '{label}' holds U+{rune.Value:X4}, which IDNA maps to another character or refuses");
        // A label in any other form (upper case, not normalized, an xn-- label for plain ASCII) is not the one form rules compare.
        if (decoded.All(char.IsAscii) || decoded != decoded.ToLowerInvariant() || !ascii && decoded != label)
            throw new FormatException($"the label '{label}' is not in the canonical form of an internationalized label ({encoded} reads '{decoded}')");
        return encoded;
    }

    /// <summary>
    /// Characters IDNA with ICU maps to others or refuses but punycode alone would encode: controls, format
    /// characters (joiners, the soft hyphen), spaces, private and unassigned code points, full-width and half-width
    /// forms, ideographic full stops, and combining accents (which, written after their letter, are a name not in
    /// Unicode normal form C: the form ICU would encode is the composed letter).
    /// </summary>
    private static bool NotInIdna(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
            or UnicodeCategory.Surrogate or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
        || rune.Value is >= 0xFF00 and <= 0xFFEF or 0x3002 or >= 0x0300 and <= 0x036F;
}
