using System.Globalization;
using System.Text;

namespace Sandlock.Policy;

/// <summary>Values as they may appear in a one-line message.</summary>
internal static class DisplayText
{
    /// <summary>
    /// <paramref name="text"/> with control and line-breaking characters written as escapes (<c>\n</c>, <c>\x01</c>,
    /// <c>\u2028</c>), so a value echoed in an error cannot split it across lines or forge a line of its own.
    /// </summary>
    public static string OneLine(string text)
    {
        var escaped = (StringBuilder?)null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                escaped?.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }
            if (!NeedsEscape(c))
            {
                escaped?.Append(c);
                continue;
            }
            escaped ??= new StringBuilder(text.Length + 16).Append(text, 0, i);
            escaped.Append(c switch
            {
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                '\0' => @"\0",
                < '\u0100' => @"\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture),
                _ => @"\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
            });
        }
        return escaped?.ToString() ?? text;
    }

    // C0 and C1 controls, DEL, the Unicode line and paragraph separators and unpaired surrogates: what a terminal or
    // a log would not show as part of one line. (Pairs are passed over by the caller.)
    private static bool NeedsEscape(char c) => char.IsControl(c) || c is '\u2028' or '\u2029' || char.IsSurrogate(c);
}
